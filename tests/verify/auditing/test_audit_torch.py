"""`verify.audit` on PyTorch models: defaults pass, planted model-level bugs fail for the
right reason, and the report names the parameters involved."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch", reason="auditing PyTorch models needs the torch extra")
from torch import nn  # noqa: E402

import derive  # noqa: E402
from verify import assert_model_init, audit  # noqa: E402

pytestmark = pytest.mark.torch


def _zoo() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(64, 128), nn.Conv1d(8, 16, 3, groups=2), nn.Conv2d(16, 16, 3, groups=16),
        nn.ConvTranspose2d(8, 4, 3), nn.Bilinear(6, 7, 5), nn.LayerNorm(128),
        nn.BatchNorm1d(32), nn.Embedding(100, 32, padding_idx=0), nn.LSTM(16, 32),
        nn.GRU(8, 16), nn.MultiheadAttention(64, 4), nn.MultiheadAttention(32, 4, kdim=16,
                                                                         vdim=8),
        nn.PReLU())


def test_every_default_of_the_zoo_passes_with_a_claim() -> None:
    report = audit(_zoo())
    assert report.passed, str(report)
    assert all(r.claim is not None for r in report.rows)
    by_path = {r.path: r for r in report.rows}
    assert by_path["10.in_proj_weight"].fans == (64, 192)  # torch's fans of the packed tensor
    assert by_path["10.out_proj.bias"].claim == "constant 0"
    assert by_path["7.weight"].shape == (99, 32)  # the padding row left out
    assert by_path["3.weight"].fans == (4 * 9, 8 * 9)  # transposed: fan_in from dimension 1


def test_bfloat16_and_float16_models_pass() -> None:
    for dtype in (torch.bfloat16, torch.float16):
        torch.manual_seed(1)
        model = nn.Sequential(nn.Linear(256, 256), nn.LayerNorm(256)).to(dtype)
        assert audit(model).passed, dtype


def test_a_deep_copied_encoder_layer_is_found_identical() -> None:
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(64, 4, 128, batch_first=True)
    report = audit(nn.TransformerEncoder(layer, num_layers=3, enable_nested_tensor=False))
    identical = [f for f in report.findings if f.kind == "identical"]
    assert {"layers.0.linear1.weight", "layers.2.linear1.weight"} <= \
        {p for f in identical for p in f.paths}
    assert not report.passed


class _GPT(nn.Module):
    def __init__(self, n_layer: int = 4, d: int = 64, scaled: bool = True) -> None:
        super().__init__()
        self.c_fc = nn.ModuleList(nn.Linear(d, 4 * d) for _ in range(n_layer))
        self.c_proj = nn.ModuleList(nn.Linear(4 * d, d) for _ in range(n_layer))
        for name, p in self.named_parameters():
            nn.init.zeros_(p) if name.endswith("bias") else nn.init.normal_(p, std=0.02)
            if name.startswith("c_proj") and name.endswith("weight") and scaled:
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * n_layer))


RULES = {"c_proj.*.weight": "normal(std=0.02/sqrt(2*n_layer))", "*.weight": "normal(std=0.02)",
         "*.bias": "zeros"}


def test_a_residual_rule_never_applied_fails_on_those_layers_only() -> None:
    torch.manual_seed(0)
    assert audit(_GPT(), RULES, constants={"n_layer": 4}).passed
    torch.manual_seed(0)
    report = audit(_GPT(scaled=False), RULES, constants={"n_layer": 4})
    failing = {r.path for r in report.rows if not r.passed}
    assert failing == {f"c_proj.{i}.weight" for i in range(4)}
    assert all("variance" in r.detail for r in report.rows if not r.passed)
    with pytest.raises(AssertionError, match=r"c_proj\.0\.weight"):
        assert_model_init(_GPT(scaled=False), RULES, constants={"n_layer": 4})


def test_q_k_v_drawn_apart_differ_from_the_packed_default() -> None:
    """Re-initializing each third of in_proj_weight with its own fans doubles its variance."""
    torch.manual_seed(0)
    mha = nn.MultiheadAttention(128, 4)
    for part in mha.in_proj_weight.data.chunk(3):
        nn.init.xavier_uniform_(part)
    row = {r.path: r for r in audit(mha).rows}["in_proj_weight"]
    assert not row.passed and row.observed_variance / row.expected_variance == \
        pytest.approx(2, rel=0.05)


def test_small_layers_too_wide_are_seen_pooled() -> None:
    """Forty 4x4 layers each drawn 20% too narrow: no row has the power, the group does."""
    torch.manual_seed(0)
    model = nn.Sequential(*(nn.Linear(4, 4, bias=False) for _ in range(40)))
    for layer in model:
        layer.weight.data *= 0.8
    report = audit(model)
    assert all(r.passed for r in report.rows)
    (group,) = report.groups
    assert not group.passed and "short of the bound" in group.detail


def test_a_shared_stream_and_an_unexplained_constant_are_findings() -> None:
    class Odd(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = nn.Linear(256, 256), nn.Linear(256, 256)
            self.b.weight.data = 0.8 * self.a.weight.data + 0.6 * self.b.weight.data
            self.scale = nn.Parameter(torch.full((16, 16), 0.5))

    torch.manual_seed(0)
    report = audit(Odd())
    kinds = {f.kind: f for f in report.findings}
    assert kinds["correlated"].paths == ("a.weight", "b.weight")
    assert kinds["unexplained_constant"].paths == ("scale",)


def test_rules_are_first_match_and_need_fans() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.LayerNorm(32))
    report = audit(model, {"1.bias": derive.SCHEMES["he_normal"], "0.*": "zeros",
                           "*": "standard_normal"})
    rows = {r.path: r for r in report.rows}
    assert rows["0.weight"].claim == "zeros" and not rows["0.weight"].passed
    assert "needs fans" in rows["1.bias"].detail and not rows["1.bias"].passed
    assert rows["1.weight"].source == "rule *" and not rows["1.weight"].passed
    with pytest.raises(ValueError, match="unknown name"):
        audit(model, {"*": "normal(std=x)"})


def test_what_cannot_be_audited_says_so() -> None:
    with pytest.raises(TypeError, match="no adapter describes it"):
        audit(object())


def test_the_signal_of_a_default_mlp_matches_and_a_wide_layer_is_flagged() -> None:
    def build() -> nn.Module:
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 256), nn.Tanh(),
                             nn.Linear(256, 10))

    report = audit(build(), input_shape=(64, 256))
    assert report.passed and [s.path for s in report.signal] == ["0", "2", "4"]
    assert all(s.predicted is not None and s.predicted_backward is not None
               for s in report.signal)
    wide = build()
    with torch.no_grad():
        wide[2].weight.mul_(1.1)
    signal = {s.path: s for s in audit(wide, input_shape=(64, 256)).signal}
    assert signal["2"].flagged and not signal["0"].flagged
    assert signal["2"].forward / signal["2"].predicted == pytest.approx(1.21, rel=0.06)


def test_the_signal_needs_inputs_the_model_takes() -> None:
    torch.manual_seed(0)
    with pytest.raises(RuntimeError):
        audit(nn.Embedding(10, 4), input_shape=(2, 3))


def test_two_seeds_of_one_architecture_compare_the_same() -> None:
    from verify import compare_models

    def build(seed: int) -> nn.Module:
        torch.manual_seed(seed)
        return nn.Sequential(nn.Linear(8, 10), nn.Linear(10, 3), nn.Embedding(500, 64),
                             nn.LayerNorm(16), nn.Conv2d(3, 8, 3))

    for seed in range(10):
        report = compare_models(build(2 * seed), build(2 * seed + 1))
        assert report.passed, str(report)
    wide = build(1)
    with torch.no_grad():
        wide[2].weight.mul_(1.1)
    report = compare_models(build(0), wide)
    assert [r.a for r in report.rows if not r.passed] == ["2.weight"]
