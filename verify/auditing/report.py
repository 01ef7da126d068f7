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

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows) and all(g.passed for g in self.groups) \
            and not self.findings

    def headline(self) -> str:
        failing = [r.path for r in self.rows if not r.passed]
        groups = [f"{g.claim} on {g.layer}" for g in self.groups if not g.passed]
        what = [f"{len(failing)} parameters fail ({', '.join(failing[:4])}"
                f"{', ...' if len(failing) > 4 else ''})"] if failing else []
        what += [f"pooled {', '.join(groups)} fail"] if groups else []
        what += [f"{f.kind}: {', '.join(f.paths[:3])}" for f in self.findings]
        unclaimed = sum(r.claim is None for r in self.rows)
        tail = f"; {unclaimed} with no claim" if unclaimed else ""
        verdict = "PASS" if self.passed else "FAIL: " + "; ".join(what)
        return (f"{verdict} -- {len(self.rows)} parameters of a {self.framework} model, "
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
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        return {"framework": self.framework, "alpha": self.alpha, "passed": self.passed,
                "rows": [asdict(r) for r in self.rows],
                "groups": [asdict(g) for g in self.groups],
                "findings": [asdict(f) for f in self.findings]}


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.4g}"
