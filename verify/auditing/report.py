"""What an audit found: one row per parameter, one per pooled group, and the findings that
only make sense across parameters."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class AuditRow:
    """One parameter's verdict. `claim` is the rule's or the default's scheme name (None:
    nothing claimed, and `detail` says what `identify` sees); `detectable` is the smallest
    relative variance error this parameter's own values could show (None if untested)."""

    path: str
    layer: str
    role: str
    shape: tuple[int, ...]
    dtype: str
    fans: tuple[int, int] | None
    claim: str | None
    source: str
    expected_variance: float | None
    observed_variance: float
    passed: bool
    detail: str = ""
    detectable: float | None = None


@dataclass(frozen=True)
class AuditGroup:
    """Parameters that share a claim and a layer type, their standardized values tested
    together so that small layers still have power."""

    claim: str
    layer: str
    paths: tuple[str, ...]
    n: int
    passed: bool
    detail: str = ""
    detectable: float | None = None


@dataclass(frozen=True)
class AuditFinding:
    """A result across parameters: `kind` is identical, correlated or unexplained_constant."""

    kind: str
    paths: tuple[str, ...]
    detail: str


@dataclass(frozen=True)
class AuditReport:
    framework: str
    alpha: float
    rows: tuple[AuditRow, ...]
    groups: tuple[AuditGroup, ...]
    findings: tuple[AuditFinding, ...]
    signal: tuple[SignalRow, ...] = ()

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows) and all(g.passed for g in self.groups) \
            and not self.findings and not any(s.flagged for s in self.signal)

    def headline(self) -> str:
        failing = [r.path for r in self.rows if not r.passed]
        groups = [f"{g.claim} on {g.layer}" for g in self.groups if not g.passed]
        what = [f"{len(failing)} parameters fail ({', '.join(failing[:4])}"
                f"{', ...' if len(failing) > 4 else ''})"] if failing else []
        what += [f"pooled {', '.join(groups)} fail"] if groups else []
        what += [f"{f.kind}: {', '.join(f.paths[:3])}" for f in self.findings]
        flagged = [s.path for s in self.signal if s.flagged]
        what += [f"signal off its prediction: {', '.join(flagged[:4])}"] if flagged else []
        unclaimed = sum(r.claim is None for r in self.rows)
        tail = f"; {unclaimed} with no claim" if unclaimed else ""
        verdict = "PASS" if self.passed else "FAIL: " + "; ".join(what)
        return (f"{verdict} -- {len(self.rows)} parameters of a model from {self.framework}, "
                f"family-wise alpha={self.alpha:g}{tail}")

    def __str__(self) -> str:
        lines = [self.headline(), ""]
        header = ("path", "layer", "role", "shape", "claim", "var expected", "observed",
                  "sees", "verdict")
        table = [header]
        for r in sorted(self.rows, key=lambda r: (r.claim or "~", r.layer, r.path)):
            table.append((r.path, r.layer, r.role, "x".join(map(str, r.shape)) or "scalar",
                          r.claim or "-", _num(r.expected_variance), _num(r.observed_variance),
                          f"{r.detectable:.0%}" if r.detectable is not None else "-",
                          "ok" if r.passed else "FAIL"))
        widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
        lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                  for row in table]
        for r in self.rows:
            if r.detail and (not r.passed or r.claim is None):
                lines.append(f"  {r.path}: {r.detail}")
        if self.groups:
            lines += ["", "pooled by claim and layer type:"]
            lines += [f"  {'ok  ' if g.passed else 'FAIL'} {g.claim} on {g.layer}: "
                      f"{len(g.paths)} parameters, n={g.n:,}"
                      + (f", sees {g.detectable:.1%}" if g.detectable is not None else "")
                      + (f" -- {g.detail}" if g.detail else "") for g in self.groups]
        if self.findings:
            lines += ["", "across parameters:"]
            lines += [f"  {f.kind}: {f.detail}" for f in self.findings]
        if self.signal:
            lines += ["", "signal through the model (mean square out / in, per layer; "
                      "gradients in / out):"]
            lines += [f"  {'FLAG' if s.flagged else 'ok  '} {s.path} ({s.layer}): forward "
                      f"{s.forward:.4g}" + _predicted(s.predicted, s.predicted_sd)
                      + (f", backward {s.backward:.4g}" if s.backward is not None else "")
                      + _predicted(s.predicted_backward, s.predicted_backward_sd)
                      for s in self.signal]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        return {"framework": self.framework, "alpha": self.alpha, "passed": self.passed,
                "rows": [asdict(r) for r in self.rows],
                "groups": [asdict(g) for g in self.groups],
                "findings": [asdict(f) for f in self.findings],
                "signal": [asdict(s) for s in self.signal]}


def _predicted(mean: float | None, sd: float | None) -> str:
    return "" if mean is None or sd is None else f" (predicted {mean:.4g} +- {sd:.2g})"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.4g}"


@dataclass(frozen=True)
class SignalRow:
    """One layer in one forward and one backward pass: the ratio of its output's mean square
    to its input's, averaged over the batch, and the same for the gradients going back
    (input's gradient over output's). The predictions, fan_in·Var(w) + E[1/q]·Var(b) and
    fan_out·Var(w), and their spread over weights drawn from the claims for these very
    inputs (`verify.auditing.signal`), exist for dense layers whose claims are known;
    `flagged` when a ratio departs from its prediction beyond that spread."""

    path: str
    layer: str
    forward: float
    predicted: float | None
    predicted_sd: float | None
    backward: float | None
    predicted_backward: float | None
    predicted_backward_sd: float | None
    flagged: bool
