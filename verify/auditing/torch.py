"""PyTorch models: every parameter of an `nn.Module`, the fans its layer type implies in
PyTorch's layout (out, in, *k) and the default that layer's `reset_parameters` draws.

Defaults, from `torch.nn`'s sources (2.x):
    Linear, Conv*, ConvTranspose*: weight and bias U(±1/√fan_in), fan_in as PyTorch reads
        it from the weight (dimension 1 times the kernel: (in/groups)·∏k for a convolution,
        (out/groups)·∏k for a transposed one, whose weight is (in, out/groups, *k))
    Bilinear (out, in1, in2): weight and bias U(±1/√in1)
    Embedding, EmbeddingBag: N(0, 1), the padding row 0
    norms (LayerNorm, GroupNorm, BatchNorm*, InstanceNorm*, RMSNorm): scale 1, offset 0
    MultiheadAttention: xavier_uniform_ on the packed (3E, E) in_proj_weight (fan_out 3E) or
        on each of q, k, v_proj_weight; in_proj_bias and out_proj.bias 0; bias_k, bias_v
        xavier_normal_
    RNN, LSTM, GRU: every weight and bias U(±1/√hidden_size)
    PReLU: its `init` (0.25)
    nn.Transformer: every parameter of 2 or more dimensions redrawn by xavier_uniform_
    transformers' Conv1D (GPT-2): weight (in, out) N(0, 0.02²), bias 0; classes named
        *Norm with a 1-D weight (LlamaRMSNorm, T5LayerNorm): scale 1, offset 0
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import partial

import numpy as np
import torch
from torch import nn

from derive import SCHEMES, Scheme, constant, fixed_normal, fixed_uniform
from verify.auditing.parameters import Parameter
from verify.layout import fans

NORMS = (nn.LayerNorm, nn.GroupNorm, nn.modules.batchnorm._NormBase, nn.RMSNorm)
PACKED_NOTE = ("PyTorch draws xavier_uniform_ on the packed (3E, E) tensor, so fan_out is 3E "
               "and the variance 1/(2E), half what q, k and v drawn apart get (pytorch#166378)")
TRANSPOSED_NOTE = ("PyTorch reads a transposed convolution's fan_in from dimension 1: "
                   "(out/groups)·∏k, not the in·∏k/stride² values each output sums")
BILINEAR_NOTE = "Bilinear draws U(±1/√in1), leaving in2 out of the fan (pytorch#132231)"
CONV1D_NOTE = "transformers' Conv1D stores (in, out), the transpose of Linear's layout"
TRANSFORMER_NOTE = "nn.Transformer redraws every parameter of 2 or more dimensions: xavier_uniform_"


CONVENTION = "torch"  # the layout `identify` reads unclaimed kernels in

def _dtype(t: torch.Tensor) -> str:
    return str(t.dtype).removeprefix("torch.")


def _values(t: torch.Tensor, padding: int | None = None) -> np.ndarray:
    """A numpy copy (bfloat16 as float32), without the embedding's padding row."""
    t = t.detach().cpu()
    if t.dtype == torch.bfloat16:
        t = t.float()
    values = t.numpy()
    return np.delete(values, padding, axis=0) if padding is not None else values.copy()


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _inv_sqrt(fan_in: float) -> Scheme:
    b = 1 / math.sqrt(fan_in)
    return fixed_uniform(-b, b)


def _torch_fans(shape: tuple[int, ...]) -> tuple[int, int] | None:
    return fans(shape, "torch") if len(shape) >= 2 else None


def _describe(module: nn.Module, name: str, shape: tuple[int, ...],
              weight_fans: tuple[int, int] | None) -> tuple[str, tuple[int, int] | None,
                                                            Scheme | None, str]:
    """(role, fans, default, note) of parameter `name` of `module`."""
    if isinstance(module, nn.Bilinear):
        return ("kernel" if name == "weight" else "bias", _torch_fans(tuple(module.weight.shape)),
                _inv_sqrt(module.weight.shape[1]), BILINEAR_NOTE)
    if isinstance(module, nn.Linear | nn.modules.conv._ConvNd):
        f = _torch_fans(tuple(module.weight.shape))
        note = TRANSPOSED_NOTE if getattr(module, "transposed", False) else ""
        assert f is not None
        return ("kernel" if name == "weight" else "bias", f, SCHEMES["uniform_inv_sqrt"]
                if name == "weight" else _inv_sqrt(f[0]), note)
    if isinstance(module, nn.Embedding | nn.EmbeddingBag):
        return "embedding", _torch_fans(shape), SCHEMES["standard_normal"], ""
    if isinstance(module, NORMS):
        return ("norm_scale", None, constant(1), "") if name == "weight" else \
            ("norm_offset", None, constant(0), "")
    if isinstance(module, nn.MultiheadAttention):
        if name in ("in_proj_bias",):
            return "bias", None, constant(0), ""
        if name in ("bias_k", "bias_v"):
            return "bias", _torch_fans(shape), SCHEMES["glorot_normal"], ""
        return ("attention", _torch_fans(shape), SCHEMES["glorot_uniform"],
                PACKED_NOTE if name == "in_proj_weight" else "")
    if isinstance(module, nn.RNNBase):
        h = module.hidden_size
        gates = shape[0] // h if name.startswith("weight") or name.startswith("bias") else 1
        f = (shape[1], h) if len(shape) == 2 else None
        return "recurrent", f, _inv_sqrt(h), f"{gates} gates packed along dimension 0"
    if isinstance(module, nn.PReLU):
        return "other", None, constant(module.init), ""
    if type(module).__name__ == "Conv1D" and hasattr(module, "nf"):  # transformers' GPT-2
        f = (module.weight.shape[0], module.weight.shape[1])  # its weight is (in, out)
        return ("kernel", f, fixed_normal(0.02), CONV1D_NOTE) if name == "weight" else \
            ("bias", f, constant(0), "")
    if type(module).__name__.endswith("Norm") and len(shape) == 1:  # RMSNorm, T5LayerNorm...
        return ("norm_scale", None, constant(1), "") if name == "weight" else \
            ("norm_offset", None, constant(0), "")
    role = "kernel" if name.endswith("weight") and len(shape) >= 2 else \
        "bias" if name.endswith("bias") else "other"
    return role, _torch_fans(shape) if role == "kernel" else weight_fans, None, ""


def parameters(model: nn.Module) -> list[Parameter]:
    """Every parameter of `model`, in `named_parameters` order, described by its layer."""
    found: dict[str, Parameter] = {}
    tied: dict[int, str] = {}  # id of a parameter → the path it was first met under
    redrawn = [f"{prefix}." if prefix else "" for prefix, m in model.named_modules()
               if isinstance(m, nn.Transformer)]
    for prefix, module in model.named_modules():
        own = dict(module.named_parameters(recurse=False))
        weight = own.get("weight")
        weight_fans = _torch_fans(tuple(weight.shape)) if weight is not None \
            and not isinstance(weight, nn.parameter.UninitializedParameter) else None
        for name, p in own.items():
            path = f"{prefix}.{name}" if prefix else name
            if isinstance(p, nn.parameter.UninitializedParameter):
                continue  # a lazy module before its first forward pass
            if id(p) in tied:  # one parameter under two names: audited once
                first = tied[id(p)]
                found[first] = replace(found[first], note=_join(found[first].note,
                                                                f"tied to {path}"))
                continue
            tied[id(p)] = path
            role, f, default, note = _describe(module, name, tuple(p.shape), weight_fans)
            shape, padding = tuple(p.shape), None
            if isinstance(module, nn.Embedding) and module.padding_idx is not None:
                note, padding = f"padding row {module.padding_idx} left out (it is set to 0)", \
                    module.padding_idx
                shape = (shape[0] - 1, *shape[1:])
            if len(shape) > 1 and any(path.startswith(t) for t in redrawn):
                default, note = SCHEMES["glorot_uniform"], TRANSFORMER_NOTE
            found[path] = Parameter(path, type(module).__name__, role, shape,
                                    partial(_values, p, padding), _dtype(p), f, default, note)
    for prefix, module in model.named_modules():  # MultiheadAttention zeroes its out_proj.bias
        path = f"{prefix}.out_proj.bias" if prefix else "out_proj.bias"
        if isinstance(module, nn.MultiheadAttention) and path in found:
            found[path] = replace(found[path], default=constant(0), fans=None,
                                  note="MultiheadAttention sets out_proj.bias to 0")
    return list(found.values())


TRACE_ROWS = 512  # rows of each layer's input and output kept (evenly spaced)


def _rows(t: torch.Tensor, features: int) -> np.ndarray:
    m = t.detach().to(torch.float64).reshape(-1, features).numpy()
    return m[:: max(1, m.shape[0] // TRACE_ROWS)][:TRACE_ROWS].copy()


def _first_tensor(out: object) -> torch.Tensor:
    if isinstance(out, torch.Tensor):
        return out
    values = out.values() if isinstance(out, dict) else out
    for v in values:  # type: ignore[union-attr]
        if isinstance(v, torch.Tensor) and v.is_floating_point():
            return v
    raise TypeError(f"the model returned {type(out).__name__} with no floating tensor")


def trace(model: nn.Module, inputs: tuple, seed: int = 0) -> list:
    """Every Linear (and transformers' Conv1D) layer's input, output and gradients in one
    forward pass on `inputs` and one backward pass of a standard normal gradient."""
    from verify.auditing.parameters import Traced

    seen: dict[str, dict[str, object]] = {}
    hooks = []

    def forward(path: str, module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        features_in = module.weight.shape[1] if isinstance(module, nn.Linear) \
            else module.weight.shape[0]
        seen[path] = {"module": module, "x": _rows(args[0], features_in),
                      "y": _rows(output, output.shape[-1])}

    def backward(path: str, module: nn.Module, grad_in: tuple, grad_out: tuple) -> None:
        if path in seen and grad_in[0] is not None and grad_out[0] is not None:
            seen[path]["gx"] = _rows(grad_in[0], grad_in[0].shape[-1])
            seen[path]["gy"] = _rows(grad_out[0], grad_out[0].shape[-1])

    for prefix, module in model.named_modules():
        if isinstance(module, nn.Linear) or type(module).__name__ == "Conv1D":
            hooks.append(module.register_forward_hook(partial(forward, prefix)))
            hooks.append(module.register_full_backward_hook(partial(backward, prefix)))
    try:
        inputs = tuple(x.detach().requires_grad_(True) if isinstance(x, torch.Tensor)
                       and x.is_floating_point() else x for x in inputs)
        out = _first_tensor(model(*inputs))
        out.backward(torch.randn(out.shape, generator=torch.Generator().manual_seed(seed),
                                 dtype=out.dtype))
    finally:
        for h in hooks:
            h.remove()
    found = []
    for path, rec in seen.items():
        module = rec["module"]
        prefix = f"{path}." if path else ""
        found.append(Traced(path, type(module).__name__, True, f"{prefix}weight",
                            f"{prefix}bias" if getattr(module, "bias", None) is not None
                            else None, rec["x"], rec["y"], rec.get("gx"), rec.get("gy")))
    return found


def unit_inputs(shape: tuple[int, ...], seed: int = 0) -> tuple:
    """One float32 input of this shape, N(0, 1) entries."""
    return (torch.randn(shape, generator=torch.Generator().manual_seed(seed)),)
