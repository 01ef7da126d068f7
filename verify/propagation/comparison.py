"""Measured against predicted: per layer, within the predicted tolerances.

A layer whose tolerance admits a factor of 2 in a variance (log tolerance ≥ log 2) could
not have told such an error apart: where the layers agree, the verdict is then
"inconclusive", never "agrees".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from verify.propagation.profile import Profile

BLIND_FACTOR = 2.0  # a variance tolerance admitting this factor cannot tell it apart


@dataclass(frozen=True)
class Comparison:
    """Measured against predicted, per layer; `ok[name]` says which layers agree."""

    measured: Profile
    predicted: Profile
    ok: dict[str, np.ndarray]

    @property
    def agree(self) -> bool:
        """No layer outside its tolerance."""
        return all(bool(v.all()) for v in self.ok.values())

    @property
    def blind(self) -> np.ndarray:
        """Per layer: a variance's log tolerance admits a factor of 2 (`BLIND_FACTOR`), or is
        not a number."""
        t = self.predicted.tolerance
        assert t is not None
        wide = ~(t.var < np.log(BLIND_FACTOR))
        if self.measured.grad_var is not None:
            wide = wide | ~(t.grad_var < np.log(BLIND_FACTOR))
        return wide

    @property
    def verdict(self) -> str:
        """'differs', 'inconclusive' (agrees, but some layer could not see a factor 2) or
        'agrees'."""
        return "differs" if not self.agree else "inconclusive" if self.blind.any() else "agrees"

    def __str__(self) -> str:
        m, p, t = self.measured, self.predicted, self.predicted.tolerance
        head = (f"{'layer':>5} {'mean':>10} {'predicted':>10} {'±':>8}  {'std':>10} "
                f"{'predicted':>10} {'log ±':>6}")
        if m.grad_var is not None:
            head += f"  {'grad var':>10} {'predicted':>10} {'log ±':>6}"
        lines = [head]
        for i in range(m.depth):
            flag = ("  <- differs" if not all(v[i] for v in self.ok.values())
                    else "  <- cannot see x2" if self.blind[i] else "")
            line = (f"{i + 1:>5} {m.mean[i]:>10.4g} {p.mean[i]:>10.4g} {t.mean[i]:>8.2g}  "
                    f"{m.std[i]:>10.4g} {p.std[i]:>10.4g} {t.var[i] / 2:>6.3f}")
            if m.grad_var is not None:
                line += (f"  {m.grad_var[i]:>10.4g} {p.grad_var[i]:>10.4g} "
                         f"{t.grad_var[i]:>6.3f}")
            lines.append(line + flag)
        lines.append({"agrees": "agree within tolerance",
                      "differs": "DIFFER beyond tolerance",
                      "inconclusive": "inconclusive: within tolerance, but at "
                                      f"{int(self.blind.sum())} of {m.depth} layers the "
                                      f"tolerance admits a factor {BLIND_FACTOR:g} in variance, "
                                      "so an error that large could not be seen"}[self.verdict])
        return "\n".join(lines)


def _log_close(measured: np.ndarray, predicted: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """|log m − log p| ≤ tol where both are positive; otherwise both must be zero."""
    both = (measured > 0) & (predicted > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.abs(np.log(np.where(both, measured, 1.0)) - np.log(np.where(both, predicted, 1)))
    return np.where(both, diff <= tol, (measured == 0) & (predicted == 0))


def compare(measured: Profile, predicted: Profile) -> Comparison:
    """Per layer: the log variances and the means within the predicted tolerances.

    >>> from verify import predict, propagate
    >>> m = propagate("lecun_normal", "tanh", depth=4, width=128, batch=32)
    >>> compare(m, predict("lecun_normal", "tanh", depth=4, width=128, batch=32)).agree
    True
    """
    if measured.widths != predicted.widths:
        raise ValueError(f"widths differ: {measured.widths} and {predicted.widths}")
    tol = predicted.tolerance
    if tol is None:
        raise ValueError("compare needs a predicted profile, with tolerances, as its second")
    ok = {"var": _log_close(measured.var, predicted.var, tol.var),
          "mean": np.abs(measured.mean - predicted.mean) <= tol.mean}
    if measured.grad_var is not None and predicted.grad_var is not None:
        ok["grad_var"] = _log_close(measured.grad_var, predicted.grad_var, tol.grad_var)
    return Comparison(measured, predicted, ok)
