"""What a check reports: one `Check` per test, the `Report` over all of them.

A p-valued test first yields a `Finding` (what it saw, and what it would mean if it
failed); Holm's correction over the whole family then decides, and each `Check` is
built once with its verdict.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class Finding:
    """A test's evidence before the family's verdict: `cause` is the sentence a failure
    carries (what was seen, and the likely bug)."""

    name: str
    statistic: float | None
    pvalue: float | None
    expected: float | str | None
    observed: float | str | None
    cause: str
    effect: float | None = None
    ci: tuple[float, float] | None = None
    detectable: float | None = None


@dataclass(frozen=True)
class Check:
    """One test: scipy-style `statistic` and `pvalue`, what it saw and what it could see;
    `detail` says why it failed, and is empty when it passed."""

    name: str
    statistic: float | None
    pvalue: float | None
    expected: float | str | None
    observed: float | str | None
    passed: bool
    detail: str = ""
    effect: float | None = None
    ci: tuple[float, float] | None = None
    detectable: float | None = None

    @classmethod
    def judged(cls, finding: Finding, passed: bool) -> Check:
        """The check a finding becomes once the family has decided."""
        values = {f.name: getattr(finding, f.name) for f in fields(finding) if f.name != "cause"}
        return cls(**values, passed=passed, detail="" if passed else finding.cause)

    @classmethod
    def outright(cls, name: str, expected: object, observed: object, passed: bool,
                 cause: str) -> Check:
        """A deterministic check: no p-value, pass or fail outright."""
        return cls(name, None, None, expected, observed, passed,  # type: ignore[arg-type]
                   "" if passed else cause)


@dataclass(frozen=True)
class Report:
    """The verdict on one initializer; `str(report)` is a readable table whose first line
    names the checks that failed and why."""

    scheme: str
    shape: tuple[int, ...]
    convention: str
    fan_in: int
    fan_out: int
    n: int
    alpha: float
    checks: tuple[Check, ...]
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def headline(self) -> str:
        """'PASS …' or 'FAIL: check (why); check (why)', one line for CI logs."""
        where = (f"{self.scheme} on shape {self.shape} ({self.convention}: "
                 f"fan_in={self.fan_in}, fan_out={self.fan_out}), n={self.n:,}")
        if self.passed:
            return f"PASS: {where}, family-wise alpha={self.alpha:g}"
        return (f"FAIL: {'; '.join(f'{c.name} ({c.detail})' for c in self.failed)} -- {where}, "
                f"family-wise alpha={self.alpha:g}")

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "passed": self.passed, "headline": self.headline()}

    def __str__(self) -> str:
        rows = [("check", "observed", "expected", "effect [CI]", "detectable", "p", "")]
        for c in self.checks:
            effect = "-" if c.effect is None else f"{c.effect:+.4g}"
            if c.ci is not None:
                effect += f" [{c.ci[0]:+.3g}, {c.ci[1]:+.3g}]"
            rows.append((c.name, _fmt(c.observed), _fmt(c.expected), effect,
                         "-" if c.detectable is None else f"{c.detectable:.3g}",
                         "-" if c.pvalue is None else f"{c.pvalue:.3g}",
                         "ok" if c.passed else "FAIL"))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        table = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
                 for r in rows]
        details = [f"  {c.name}: {c.detail}" for c in self.failed]
        return "\n".join([self.headline(), *table, *details, *(f"note: {n}" for n in self.notes)])


def _fmt(v: object) -> str:
    return "-" if v is None else f"{v:.6g}" if isinstance(v, float) else str(v)
