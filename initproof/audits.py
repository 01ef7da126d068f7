"""docs/audit.md: audits of real architectures at random init, and of a model with planted
faults beside the same model fixed.

    python -m initproof.audits docs/audit.md

Needs the torch, transformers, keras and jax extras, Haiku and Equinox (`make frameworks`);
models are built from their configurations on CPU with fixed seeds, nothing is downloaded.
Each model's rules are what its library documents for its init (transformers'
`_init_weights`, torchvision's ResNet); a model without rules is held to its framework's
layer defaults.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from initproof.files import write_text
from verify import audit
from verify.auditing import AuditReport

HF_RULES = {"*LayerNorm.weight": "ones", "*.ln_*.weight": "ones", "*norm.weight": "ones",
            "*.weight": "normal(std=0.02)", "*.bias": "zeros"}
GPT2_RULES = {"*.c_proj.weight": "normal(std=0.02/sqrt(2*n_layer))", **HF_RULES}
"""transformers' `_init_weights` for GPT-2, BERT and Llama: N(0, initializer_range²) for
linear and embedding weights (GPT-2's residual projections also divided by √(2·n_layer)),
norms at 1 and 0, biases 0."""
RESNET_RULES = {"*conv*.weight": 'variance_scaling(2, "fan_out", "normal")'}
"""torchvision's ResNet: kaiming_normal_(mode="fan_out", nonlinearity="relu") on every
convolution; batch norms and the classifier keep PyTorch's defaults."""


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], object]
    rules: dict[str, str]
    constants: dict[str, float]
    story: str
    framework: str | None = None


def _seeded(build: Callable[[], nn.Module]) -> Callable[[], nn.Module]:
    def seeded() -> nn.Module:
        torch.manual_seed(0)
        return build()
    return seeded


def _hf(kind: str) -> nn.Module:
    import transformers as tf

    small = {"vocab_size": 1000}
    if kind == "gpt2":
        return tf.GPT2LMHeadModel(tf.GPT2Config(n_layer=4, n_embd=128, n_head=4,
                                                n_positions=128, **small))
    if kind == "bert":
        return tf.BertModel(tf.BertConfig(num_hidden_layers=2, hidden_size=128,
                                          num_attention_heads=4, intermediate_size=256,
                                          **small))
    return tf.LlamaForCausalLM(tf.LlamaConfig(num_hidden_layers=2, hidden_size=128,
                                              num_attention_heads=4, intermediate_size=256,
                                              **small))


class Bottleneck(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(width, width, 3, padding=1, bias=False), \
            nn.BatchNorm2d(width)
        self.conv2, self.bn2 = nn.Conv2d(width, width, 3, padding=1, bias=False), \
            nn.BatchNorm2d(width)


class ResNet(nn.Module):
    """A small torchvision-style ResNet: a stem, residual blocks, a classifier."""

    def __init__(self, width: int = 32, blocks: int = 3, classes: int = 10) -> None:
        super().__init__()
        self.conv_stem, self.bn_stem = nn.Conv2d(3, width, 7, stride=2, padding=3,
                                                 bias=False), nn.BatchNorm2d(width)
        self.blocks = nn.Sequential(*(Bottleneck(width) for _ in range(blocks)))
        self.fc = nn.Linear(width, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")


class Block(nn.Module):
    """A pre-norm transformer block written by hand: attention, then an MLP."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.ln_1, self.attn, self.ln_2 = nn.LayerNorm(d), nn.MultiheadAttention(d, 4), \
            nn.LayerNorm(d)
        self.c_fc, self.c_proj = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)


class TinyGPT(nn.Module):
    """The audit's test model. `faults` plants: a residual rule never applied to one block,
    two blocks sharing values, attention's packed q, k, v drawn apart (twice the packed
    variance), one weight at −100 σ."""

    def __init__(self, n_layer: int = 4, d: int = 128, faults: bool = False) -> None:
        super().__init__()
        self.wte = nn.Embedding(1000, d)
        self.h = nn.ModuleList(Block(d) for _ in range(n_layer))
        for name, p in self.named_parameters():
            if name.endswith("c_fc.weight") or name.endswith("wte.weight"):
                nn.init.normal_(p, std=0.02)
            elif name.endswith("c_proj.weight") and not (faults and name.startswith("h.2.")):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * n_layer))
            elif name.endswith("c_proj.weight"):
                nn.init.normal_(p, std=0.02)  # the residual scaling forgotten here
            elif name.endswith("c_fc.bias") or name.endswith("c_proj.bias"):
                nn.init.zeros_(p)
        if faults:
            with torch.no_grad():
                self.h[1].c_fc.weight.copy_(self.h[0].c_fc.weight)
                for part in self.h[3].attn.in_proj_weight.chunk(3):
                    nn.init.xavier_uniform_(part)
                self.h[1].c_proj.weight[5, 7] = -100 * 0.02 / math.sqrt(2 * n_layer)


TINY_RULES = {"*.c_proj.weight": "normal(std=0.02/sqrt(2*n_layer))",
              "*.c_fc.weight": "normal(std=0.02)", "wte.weight": "normal(std=0.02)",
              "*.c_fc.bias": "zeros", "*.c_proj.bias": "zeros"}
TINY = {"n_layer": 4}


def keras_model() -> object:
    """A Keras 3 image model with attention, every layer named (Keras numbers unnamed layers
    per process), each at the initializer it declares by default."""
    import os

    os.environ.setdefault("KERAS_BACKEND", "numpy")
    import keras

    keras.utils.set_random_seed(0)
    layers = keras.layers
    inputs = keras.Input((16, 16, 8))
    x = layers.Conv2D(32, 3, groups=2, name="conv")(inputs)
    x = layers.DepthwiseConv2D(3, depth_multiplier=2, name="depthwise")(x)
    x = layers.Conv2DTranspose(16, 3, name="transposed")(x)
    x = layers.BatchNormalization(name="bn")(x)
    x = layers.Reshape((-1, 16), name="tokens")(x)
    x = layers.MultiHeadAttention(4, 16, name="attention")(x, x)
    x = layers.LayerNormalization(name="ln")(x)
    x = layers.LSTM(32, name="lstm")(x)
    return keras.Model(inputs, layers.Dense(10, name="head")(x))


def nnx_model() -> object:
    """A Flax NNX model of the same kinds of layers, at NNX's defaults."""
    from flax import nnx

    class Net(nnx.Module):
        def __init__(self, rngs: nnx.Rngs) -> None:
            self.conv = nnx.Conv(8, 32, (3, 3), feature_group_count=2, rngs=rngs)
            self.transposed = nnx.ConvTranspose(32, 16, (3, 3), rngs=rngs)
            self.bn = nnx.BatchNorm(16, rngs=rngs)
            self.embed = nnx.Embed(1000, 64, rngs=rngs)
            self.attention = nnx.MultiHeadAttention(num_heads=4, in_features=64,
                                                    decode=False, rngs=rngs)
            self.ln = nnx.LayerNorm(64, rngs=rngs)
            self.head = nnx.Linear(64, 10, rngs=rngs)

    return Net(nnx.Rngs(0))


def linen_variables() -> dict:
    """A Flax linen model's variables, at linen's defaults."""
    import flax.linen as fnn
    import jax
    import jax.numpy as jnp

    class Net(fnn.Module):
        @fnn.compact
        def __call__(self, x: jnp.ndarray, tokens: jnp.ndarray) -> tuple:
            y = fnn.LayerNorm()(fnn.Conv(32, (3, 3), feature_group_count=2)(x))
            attended = fnn.MultiHeadDotProductAttention(num_heads=4)(fnn.Embed(1000, 64)(tokens))
            return fnn.Dense(10)(y.reshape(y.shape[0], -1)), attended

    return Net().init(jax.random.key(0), jnp.ones((2, 8, 8, 4)), jnp.zeros((2, 5), int))


def haiku_params() -> dict:
    """A Haiku convolutional net's parameters, at Haiku's defaults."""
    import haiku as hk
    import jax
    import jax.numpy as jnp

    def net(x: jnp.ndarray) -> jnp.ndarray:
        x = jax.nn.relu(hk.Conv2D(32, 3)(x))
        x = hk.LayerNorm(-1, create_scale=True, create_offset=True)(x)
        return hk.Linear(10)(hk.Flatten()(x))

    params = hk.transform(net).init(jax.random.key(0), jnp.ones((1, 8, 8, 8)))
    embed = hk.transform(lambda i: hk.Embed(1000, 64)(i))
    return {**params, **embed.init(jax.random.key(1), jnp.zeros((2,), int))}


def equinox_model() -> object:
    """An Equinox MLP, a grouped convolution, an embedding, a norm and a GRU cell."""
    import equinox as eqx
    import jax

    keys = jax.random.split(jax.random.key(0), 4)

    class Net(eqx.Module):
        mlp: eqx.nn.MLP
        conv: eqx.nn.Conv2d
        embed: eqx.nn.Embedding
        ln: eqx.nn.LayerNorm
        gru: eqx.nn.GRUCell

    return Net(eqx.nn.MLP(64, 10, 256, 2, key=keys[0]),
               eqx.nn.Conv2d(8, 16, 3, groups=2, key=keys[1]),
               eqx.nn.Embedding(1000, 64, key=keys[2]), eqx.nn.LayerNorm(64),
               eqx.nn.GRUCell(16, 32, key=keys[3]))


def port_pair() -> tuple[nn.Module, object]:
    """One small architecture twice: PyTorch's defaults and Flax NNX's defaults."""
    from flax import nnx

    torch.manual_seed(0)
    torch_model = nn.Sequential(nn.Embedding(1000, 64), nn.Linear(64, 256), nn.LayerNorm(256),
                                nn.Linear(256, 64))

    class Port(nnx.Module):
        def __init__(self, rngs: nnx.Rngs) -> None:
            self.embed = nnx.Embed(1000, 64, rngs=rngs)
            self.fc1 = nnx.Linear(64, 256, rngs=rngs)
            self.ln = nnx.LayerNorm(256, rngs=rngs)
            self.fc2 = nnx.Linear(256, 64, rngs=rngs)

    return torch_model, Port(nnx.Rngs(0))


PORT_MAP = {"0.weight": "embed/embedding", "1.weight": "fc1/kernel", "1.bias": "fc1/bias",
            "2.weight": "ln/scale", "2.bias": "ln/bias", "3.weight": "fc2/kernel",
            "3.bias": "fc2/bias"}


def cases() -> list[Case]:
    """The architectures audited, each with its documented rules and what to expect."""
    return [
        Case("GPT-2 (transformers, 4 layers, width 128)", _seeded(lambda: _hf("gpt2")),
             GPT2_RULES, {"n_layer": 4},
             "transformers' GPT-2 init, residual projections scaled by 1/sqrt(2 n_layer); "
             "lm_head.weight is tied to wte.weight and audited once."),
        Case("BERT (transformers, 2 layers, width 128)", _seeded(lambda: _hf("bert")),
             HF_RULES, {}, "N(0, 0.02^2) weights and embeddings, the padding row left out."),
        Case("Llama (transformers, 2 layers, width 128)", _seeded(lambda: _hf("llama")),
             HF_RULES, {}, "N(0, 0.02^2) weights, RMSNorm scales at 1, no biases."),
        Case("torch.nn.Transformer (2 + 2 layers, width 64)",
             _seeded(lambda: nn.Transformer(64, 4, 2, 2, 128, batch_first=True)), {}, {},
             "PyTorch's defaults: nn.Transformer redraws every parameter of two or more "
             "dimensions with xavier_uniform_ and leaves the rest as its layers made them."),
        Case("torch.nn.LSTM (2 layers, 32 -> 64)", _seeded(lambda: nn.LSTM(32, 64, 2)), {}, {},
             "PyTorch's defaults: U(+-1/sqrt(hidden)) for every weight and bias."),
        Case("ResNet (torchvision-style, 3 blocks, width 32)", _seeded(ResNet), RESNET_RULES,
             {}, "kaiming_normal_(fan_out) on convolutions; batch norms and the classifier at "
             "PyTorch's defaults."),
        Case("Keras 3 (convolutions, depthwise, transposed, attention, LSTM)", keras_model,
             {}, {}, "each layer against the initializer it declares (Keras's defaults: "
             "glorot_uniform kernels, orthogonal recurrent kernels, zero biases, LSTM's "
             "forget-gate bias 1)."),
        Case("Flax NNX (convolutions, attention, embedding)", nnx_model, {}, {},
             "NNX's defaults: LeCun truncated-normal kernels on flattened fans, "
             "variance 1/features embeddings, zero biases, norms at 1 and 0."),
        Case("Flax linen (convolution, norm, attention, embedding)", linen_variables, {},
             {}, "linen's defaults, read from its automatic names (Conv_0, Dense_0, ...): "
             "LeCun truncated-normal kernels, attention's on flattened fans.", "linen"),
        Case("Haiku (convolution, norm, linear, embedding)", haiku_params, {}, {},
             "Haiku's defaults, read from its module names: TruncatedNormal(1/sqrt(fan_in)) "
             "weights cut at 2 stddev and not rescaled, zero biases, TruncatedNormal(1) "
             "embeddings.", "haiku"),
        Case("Equinox (MLP, grouped convolution, embedding, norm, GRU cell)", equinox_model,
             {}, {}, "Equinox's defaults: U(+-1/sqrt(fan_in)) weights and biases as in "
             "PyTorch, N(0, 1) embeddings, U(+-1/sqrt(hidden)) in the GRU cell."),
        Case("TinyGPT with planted faults", _seeded(lambda: TinyGPT(faults=True)), TINY_RULES,
             TINY, "four planted faults: h.2.c_proj.weight left at N(0, 0.02^2), "
             "h.1.c_fc.weight a copy of h.0's, h.3's packed q, k, v drawn apart, one value "
             "of h.1.c_proj.weight at -100 sd."),
        Case("TinyGPT fixed", _seeded(TinyGPT), TINY_RULES, TINY, "the same model, no faults."),
    ]


def _section(case: Case, report: AuditReport) -> list[str]:
    out = [f"## {case.name}\n", f"{case.story}\n", f"`{report.headline()}`\n"]
    if case.rules:
        out.append("Rules: " + "; ".join(f"`{k}` = `{v}`" for k, v in case.rules.items())
                   + (f" (constants: {case.constants})" if case.constants else "") + ".\n")
    failing = [r for r in report.rows if not r.passed]
    if failing:
        out += ["| parameter | layer | claim | variance expected | observed | finding |",
                "|---|---|---|---|---|---|"]
        out += [f"| `{r.path}` | {r.layer} | {r.claim} | {r.expected_variance or 0:.4g} | "
                f"{r.observed_variance:.4g} | {r.detail} |" for r in failing]
        out.append("")
    for g in report.groups:
        if not g.passed:
            out.append(f"- pooled **{g.claim} on {g.layer}** ({len(g.paths)} parameters, "
                       f"n = {g.n:,}) fails: {g.detail}")
    out += [f"- **{f.kind}**: {f.detail}" for f in report.findings]
    notes = sorted({r.detail for r in report.rows if r.passed and r.detail
                    and not r.detail.startswith("n=")})
    out += [f"- note: {n}" for n in notes]
    sees = [r.detectable for r in report.rows if r.detectable is not None]
    pooled = [f"{g.detectable:.1%}" for g in report.groups if g.detectable is not None]
    if sees:
        out.append(f"- each row sees a variance error of {min(sees):.1%} (largest tensor) to "
                   f"{max(sees):.0%} (smallest)"
                   + (f"; pooled groups see {', '.join(pooled)}." if pooled else "."))
    return [*out, ""]


def _port() -> list[str]:
    from verify import compare_models

    torch_model, flax_model = port_pair()
    report = compare_models(torch_model, flax_model, PORT_MAP)
    out = ["## A port: PyTorch's defaults against Flax NNX's\n",
           "One architecture (embedding 1000x64, Linear 64->256, LayerNorm, Linear 256->64) "
           "built twice, each at its framework's defaults, compared pair by pair with "
           "`verify.compare_models` (two-sample location, scale and shape tests; no claim "
           "needed).\n", f"`{report.headline()}`\n",
           "| PyTorch | Flax NNX | variance | variance | difference |", "|---|---|---|---|---|"]
    out += [f"| `{r.a}` | `{r.b}` | {r.variance_a:.4g} | {r.variance_b:.4g} | "
            f"{r.detail or 'none seen'} |" for r in report.rows]
    return [*out, "", "PyTorch draws embeddings from N(0, 1) where Flax uses variance "
            "1/features; its Linear weights are U(+-1/sqrt(fan_in)), a third of the LeCun "
            "variance Flax draws from a truncated normal; and its Linear biases are "
            "U(+-1/sqrt(fan_in)) where Flax's are 0. The norms agree.", ""]


def document() -> str:
    import transformers

    lines = ["# Audits of whole models\n",
             "Generated by `python -m initproof.audits docs/audit.md`; do not edit.\n",
             f"Versions: torch {torch.__version__}, transformers {transformers.__version__}. "
             "Every model built on CPU from its configuration with `torch.manual_seed(0)`; "
             "family-wise alpha 1e-6 per audit.\n"]
    for case in cases():
        report = audit(case.build(), case.rules, constants=case.constants,
                       framework=case.framework)
        lines += _section(case, report)
    return "\n".join(lines + _port())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m initproof.audits",
                                     description="write docs/audit.md")
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    write_text(args.out, document())
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
