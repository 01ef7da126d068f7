"""translate: the same law written in another framework, or the nearest with how far it is."""

from __future__ import annotations

import json
import math

import pytest
import sympy as sp

import derive
from initproof.cli import main
from tests.verify.frameworks.shared import exact_spellings
from verify.frameworks import adapter, installed
from verify.frameworks.protocol import literal
from verify.frameworks.translation import claim_of, law_distance, same_law, translate


def test_same_law_reads_floats_and_fractions_alike() -> None:
    third = derive.variance_scaling(1 / 3, "fan_in", "uniform")
    assert same_law(third, derive.SCHEMES["uniform_inv_sqrt"])
    assert not same_law(derive.SCHEMES["lecun_normal"], derive.SCHEMES["lecun_truncated_normal"])
    assert not same_law(derive.SCHEMES["he_normal"],
                        derive.variance_scaling(2, "fan_out", "normal"))
    assert same_law(derive.fixed_truncated_normal(1.0, (-2, 2)),
                    derive.variance_scaling(1, None, "truncated_normal", corrected=False))
    assert not same_law(derive.fixed_uniform(0, 0.1), derive.fixed_uniform(-0.05, 0.05))


def test_law_distance_against_scipy() -> None:
    """sup|F - G| between N(0, 1) and U(-√3, √3): at x = ±√3 · 0.5... computed by scipy on a
    fine grid, independently of the quantile grid translate uses."""
    import numpy as np
    from scipy import stats

    x = np.linspace(-5, 5, 2_000_001)
    u = stats.uniform(-math.sqrt(3), 2 * math.sqrt(3))
    expected = float(np.abs(stats.norm.cdf(x) - u.cdf(x)).max())
    got = law_distance(derive.fixed_normal(1.0), derive.fixed_uniform(-math.sqrt(3), math.sqrt(3)))
    assert got == pytest.approx(expected, abs=1e-4)
    assert law_distance(derive.constant(0.0), derive.constant(0.0)) == 0.0
    assert law_distance(derive.constant(0.0), derive.fixed_normal(1.0)) == 1.0


def test_literal() -> None:
    assert [literal(x) for x in (sp.Rational(1, 3), sp.sqrt(5), 0.02, 2.0, math.sqrt(5))] == \
        ["1/3", "math.sqrt(5)", "0.02", "2", "math.sqrt(5)"]


def _needs(*frameworks: str) -> None:
    missing = [f for f in frameworks if f not in installed()]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (make frameworks)")


def test_torch_linear_in_jax() -> None:
    """The issue's example: the weight is variance_scaling(1/3, 'fan_in', 'uniform'); the bias
    has no JAX equivalent (a JAX initializer sees only the bias's shape)."""
    _needs("torch", "jax")
    weight, bias = translate("torch", "nn.Linear", to=["jax"])
    assert (weight.role, weight.exact) == ("weight", True)
    assert weight.call == "jax.nn.initializers.variance_scaling(1/3, 'fan_in', 'uniform')"
    assert (bias.role, bias.call, bias.exact) == ("bias", None, False)
    assert "no jax equivalent" in bias.note and "bias's own shape" in bias.note


def test_inexact_translations_say_how_far() -> None:
    """JAX has no symmetric fixed uniform: the nearest is the normal of the same variance."""
    _needs("torch", "jax")
    (t,) = translate("torch", "uniform_(a=-0.05, b=0.05)", to=["jax"])
    assert not t.exact and t.variance_ratio == pytest.approx(1.0) and 0.05 < t.distance < 0.06
    (t,) = translate("jax", "he_normal", to=["torch"])  # draws a truncated normal
    assert not t.exact and "nearest" in t.note and t.call == "torch.nn.init.kaiming_normal_(w)"


def test_each_adapter_writes_its_own_entries() -> None:
    """Round trip: every entry's law is offered back exactly by its own adapter's `spell`,
    but for the laws the API cannot write (listed; the other adapters' lists are tested in
    their own files)."""
    unwritable = {"torch": {"nn.Linear bias", "nn.Conv2d bias"}, "jax": set(), "keras": set()}
    for fw in ("torch", "jax", "keras"):
        if fw in installed():
            assert exact_spellings(adapter(fw))[1] == unwritable[fw], fw


def test_every_pair_of_installed_frameworks_answers() -> None:
    found = installed()
    if len(found) < 2:
        pytest.skip("needs two frameworks (make frameworks)")
    for fw in found:
        for name in dict.fromkeys(e.name for e in adapter(fw).entries()
                                  if claim_of(e) is not None):
            rows = translate(fw, name)
            assert {t.target for t in rows} == set(found) - {fw}
            assert all(t.call or t.note for t in rows)


def test_cli(capsys: pytest.CaptureFixture[str]) -> None:
    _needs("torch", "jax")
    assert main(["translate", "torch", "nn.Linear", "--to", "jax", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["role"] for r in rows] == ["weight", "bias"]
    assert main(["translate", "torch", "nn.Lineer"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "choose from" in err and "nn.Linear" in err
    assert main(["translate", "torchx", "nn.Linear"]) == 2
    assert "unknown framework" in capsys.readouterr().err
    assert main(["translate", "torch", "nn.Linear", "--to", "torch"]) == 2
    assert "no framework other than torch" in capsys.readouterr().err
