"""`verify.audit` on Keras 3 and Flax NNX models: declared or default claims pass, planted
faults are named."""

from __future__ import annotations

import os

import numpy as np
import pytest

import derive
from verify import audit
from verify.layout import fans


@pytest.fixture
def keras():
    os.environ.setdefault("KERAS_BACKEND", "numpy")
    return pytest.importorskip("keras", reason="auditing Keras models needs the keras extra")


def _keras_model(keras):
    keras.utils.set_random_seed(0)
    inp = keras.Input((16, 16, 8))
    x = keras.layers.Conv2D(16, 3, groups=2)(inp)
    x = keras.layers.DepthwiseConv2D(3, depth_multiplier=2)(x)
    x = keras.layers.Conv2DTranspose(8, 3)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Reshape((-1, 8))(x)
    x = keras.layers.MultiHeadAttention(4, 16)(x, x)
    x = keras.layers.LayerNormalization()(x)
    x = keras.layers.Dense(10, kernel_initializer="he_normal")(x)
    return keras.Model(inp, x)


def _row(report, layer: str, suffix: str):
    """The row of a `layer` type whose path ends with `suffix` (Keras numbers its names
    per process: dense, dense_1, ...)."""
    (row,) = [r for r in report.rows if r.layer == layer and r.path.endswith(suffix)]
    return row


@pytest.mark.keras
def test_a_keras_model_passes_against_what_its_layers_declare(keras) -> None:
    report = audit(_keras_model(keras))
    assert report.passed, str(report)
    assert _row(report, "Dense", "/kernel").claim == "HeNormal"
    assert _row(report, "EinsumDense", "query/kernel").fans == (8, 64)  # from the equation
    assert "keras#11773" in _row(report, "DepthwiseConv2D", "/kernel").detail


@pytest.mark.keras
def test_attention_drawn_with_conv_style_fans_fails(keras) -> None:
    """Keras 3 before PR #22789 read a (d, H, k) kernel as a convolution's: (H·d, k·d)."""
    model = _keras_model(keras)
    attention = next(x for x in model.layers if isinstance(x, keras.layers.MultiHeadAttention))
    layer = attention._query_dense
    shape = tuple(layer.kernel.shape)
    naive = derive.SCHEMES["glorot_uniform"].bound_at(*fans(shape, "keras"))
    layer.kernel.assign(np.random.default_rng(0).uniform(-naive, naive, shape))
    row = _row(audit(model), "EinsumDense", "query/kernel")
    assert not row.passed and "variance" in row.detail


@pytest.mark.jax
def test_an_nnx_model_passes_and_a_copied_kernel_is_found() -> None:
    nnx = pytest.importorskip("flax.nnx", reason="auditing Flax models needs the jax extra")

    class Net(nnx.Module):
        def __init__(self, rngs) -> None:
            self.conv = nnx.Conv(3, 16, (3, 3), feature_group_count=1, rngs=rngs)
            self.emb = nnx.Embed(100, 64, rngs=rngs)
            self.mha = nnx.MultiHeadAttention(num_heads=2, in_features=64, qkv_features=64,
                                              decode=False, rngs=rngs)
            self.a, self.b = nnx.Linear(256, 256, rngs=rngs), nnx.Linear(256, 256, rngs=rngs)
            self.ln = nnx.LayerNorm(64, rngs=rngs)

    net = Net(nnx.Rngs(0))
    report = audit(net)
    assert report.passed, str(report)
    assert {r.path: r for r in report.rows}["mha/out/kernel"].fans == (64, 64)  # flattened
    net.b.kernel[...] = net.a.kernel[...]
    kinds = {f.kind: f.paths for f in audit(net).findings}
    assert kinds["identical"] == ("a/kernel", "b/kernel")


@pytest.mark.jax
def test_haiku_trees_pass_and_a_corrected_cut_is_told_apart() -> None:
    """Haiku's TruncatedNormal does not rescale after the cut; JAX's variance_scaling does."""
    hk = pytest.importorskip("haiku", reason="auditing Haiku trees needs dm-haiku")
    import jax
    import jax.numpy as jnp

    def net(x):
        return hk.Linear(10)(jax.nn.relu(hk.Linear(512)(x)))

    params = hk.transform(net).init(jax.random.key(0), jnp.ones((1, 256)))
    assert audit(params, framework="haiku").passed
    lecun = jax.nn.initializers.lecun_normal()  # corrected: variance 1/fan_in, not 0.774/fan_in
    params["linear"]["w"] = lecun(jax.random.key(1), (256, 512))
    row = {r.path: r for r in audit(params, framework="haiku").rows}["linear/w"]
    assert not row.passed and "variance" in row.detail
    assert row.observed_variance / row.expected_variance == pytest.approx(
        1 / float(derive.correction(2)) ** 2, rel=0.03)
    with pytest.raises(TypeError, match="framework='haiku'"):
        audit(params)


@pytest.mark.jax
def test_equinox_modules_pass_and_a_he_layer_fails() -> None:
    eqx = pytest.importorskip("equinox", reason="auditing Equinox models needs equinox")
    import jax

    mlp = eqx.nn.MLP(128, 10, 256, 2, key=jax.random.key(0))
    assert audit(mlp).passed
    he = jax.nn.initializers.he_normal(in_axis=-1, out_axis=-2)
    wider = eqx.tree_at(lambda m: m.layers[1].weight, mlp, he(jax.random.key(1), (256, 256)))
    failing = [r.path for r in audit(wider).rows if not r.passed]
    assert failing == ["layers[1].weight"]


@pytest.mark.jax
def test_linen_variables_pass_and_a_scaled_attention_kernel_fails() -> None:
    nn = pytest.importorskip("flax.linen", reason="auditing Flax models needs the jax extra")
    import jax
    import jax.numpy as jnp

    class Net(nn.Module):
        @nn.compact
        def __call__(self, x):
            return nn.Dense(10)(nn.MultiHeadDotProductAttention(num_heads=4)(nn.Dense(64)(x)))

    variables = Net().init(jax.random.key(0), jnp.ones((2, 5, 32)))
    report = audit(variables, framework="linen")
    assert report.passed, str(report)
    rows = {r.path: r for r in report.rows}
    assert rows["MultiHeadDotProductAttention_0/out/kernel"].fans == (64, 64)  # flattened
    params = jax.tree_util.tree_map(lambda a: a, variables["params"])
    query = params["MultiHeadDotProductAttention_0"]["query"]
    query["kernel"] = query["kernel"] * 3  # a 3-D kernel read with conv-style fans, say
    failing = [r.path for r in audit(params, framework="linen").rows if not r.passed]
    assert failing == ["MultiHeadDotProductAttention_0/query/kernel"]
