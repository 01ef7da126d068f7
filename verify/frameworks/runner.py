"""`crosscheck`: a framework's initializers against the derive schemes they claim.

An adapter (`verify.frameworks.adapters.torch`, `.jax`, `.keras`, or one
registered by another package) lists `Entry`s: a sampler `sample(shape, dtype, seed)`
returning a float64 (or complex) numpy array, the claimed scheme in the
framework's layout, and the shapes to try. Claims read names the portable way:
"normal" is untruncated, a truncated normal "with stddev s" has standard
deviation s, a uniform "with scale s" is symmetric. Where a framework means
something else, the check fails and `identify` says what the sample really is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np

from verify.checking import check
from verify.checking.orthogonality import HAAR_DRAWS, HAAR_MIN_SIDE, ORTHOGONAL_TOL
from verify.checking.orthogonality import haar_z as _haar_p
from verify.checking.orthogonality import matrix_view as _matrix
from verify.checking.orthogonality import orthogonal_error as _orthogonal_error
from verify.frameworks.identification import identify
from verify.frameworks.protocol import Entry
from verify.frameworks.registry import adapter
from verify.layout import fans
from verify.sampling import child_seeds, complex_power


@dataclass(frozen=True)
class Row:
    """The verdict on one initializer at one shape and dtype."""

    framework: str
    initializer: str
    shape: tuple[int, ...]
    dtype: str
    claim: str
    fan_in: int | None
    fan_out: int | None
    expected_var: float | None
    observed_var: float | None
    expected_bound: float | None
    observed_max: float | None
    passed: bool
    reproducible: bool
    sees: float | None = None
    finding: str = ""
    role: str = "weight"
    note: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _reproducible(entry: Entry, shape: tuple[int, ...], dtype: str, seed: int,
                  disturb: Callable[[], None]) -> bool:
    """Same seed gives the same array, even after the global random state has moved."""
    first = entry.sample(shape, dtype, seed)
    disturb()
    return bool(np.array_equal(first, entry.sample(shape, dtype, seed)))


def _identify_sentence(samples: np.ndarray, shape: tuple[int, ...], convention: str,
                       axes: dict[str, object]) -> str:
    best = identify([(samples, shape)], convention=convention, **axes)
    return f"the sample is best explained by {best[0].describe()}" if best else ""


def _moment_row(framework: str, convention: str, entry: Entry, shape: tuple[int, ...],
                dtype: str, seed: int, alpha: float) -> Row:
    """`check` on the entry's samples; a bias is checked at its own shape with its weight's
    fans."""
    claim = entry.claim
    assert claim is not None
    fi, fo = fans(shape, convention, **entry.axes)  # type: ignore[arg-type]
    sample = entry.sample(shape, dtype, seed)
    report = check(lambda _, sd: entry.sample(shape, dtype, sd), claim, shape=sample.shape,
                   convention=convention, seed=seed, alpha=alpha, dtype=dtype,
                   fans=(fi, fo), **entry.axes)
    by_name = {c.name: c for c in report.checks}
    var = by_name.get("variance")
    sentence = ""
    if not report.passed:
        sentence = "; ".join(c.detail for c in report.checks if not c.passed)
        explained = "" if np.iscomplexobj(sample) or entry.role == "bias" else \
            _identify_sentence(sample, shape, convention, entry.axes)
        sentence += f"; {explained}" if explained else ""
    if np.iscomplexobj(sample):  # E|w|² and the largest |w|; the bound is on |w|²/E|w|²
        expected, bound = complex_power(claim, fi, fo), None
        observed_max = float(np.abs(sample).max())
    else:
        expected, bound = claim.variance_at(fi, fo), claim.bound_at(fi, fo)
        observed_max = float(by_name["within_bound"].observed) if "within_bound" in by_name \
            else float(np.abs(sample).max())
    return Row(framework, entry.name, sample.shape, dtype, claim.name, fi, fo, expected,
               None if var is None else float(var.observed), bound, observed_max,
               report.passed, True, None if var is None else var.detectable,
               _join(sentence, entry.note), entry.role, entry.note)


def _join(*parts: str) -> str:
    return ". ".join(p.rstrip(".") for p in parts if p) + ("." if any(parts) else "")


def _orthogonal(entry: Entry, shape: tuple[int, ...], dtype: str, seed: int,
                convention: str, alpha: float) -> tuple[bool, str, np.ndarray]:
    """Orthogonality of one draw; Haar distribution over `HAAR_DRAWS` draws (float only)."""
    draws = [_matrix(entry.sample(shape, dtype, s), convention)
             for s in child_seeds(seed, HAAR_DRAWS)]
    err = _orthogonal_error(draws[0], entry.value)
    problems = [] if err <= ORTHOGONAL_TOL.get(dtype, 1e-2) else \
        [f"max |M^T M - gain^2 I| is {err:.3g}"]
    if np.iscomplexobj(draws[0]) or min(draws[0].shape) < HAAR_MIN_SIDE:
        return not problems, "; ".join(problems), draws[0]
    z, p = _haar_p(draws, entry.value)
    if p < alpha:
        problems.append(f"not Haar: the diagonal sums of {HAAR_DRAWS} draws give z = {z:.1f} "
                        f"(p = {p:.2g}), as a QR without the sign correction does")
    return not problems, "; ".join(problems), draws[0]


def _other_row(framework: str, convention: str, entry: Entry, shape: tuple[int, ...],
               dtype: str, seed: int, alpha: float) -> Row:
    if entry.kind == "orthogonal":  # its own draws; the row shows the weight's shape
        passed, detail, matrix = _orthogonal(entry, shape, dtype, seed, convention, alpha)
        claim, largest = f"Haar orthogonal, gain {entry.value:g}", float(np.abs(matrix).max())
    else:
        w = entry.sample(shape, dtype, seed)
        shape, largest = w.shape, None
        if entry.kind == "constant":
            passed = bool(np.all(w == entry.value))
            detail = "" if passed else f"values differ from {entry.value}"
            claim, largest = f"constant {entry.value:g}", float(np.abs(w).max())
        else:
            assert entry.structure is not None
            detail = entry.structure(w)
            passed = not detail
            claim = (entry.structure.__doc__ or "structure").strip().splitlines()[0]
    return Row(framework, entry.name, shape, dtype, claim, None, None, None, None, None,
               largest, passed, True, None, _join(detail, entry.note), entry.role, entry.note)


def crosscheck(framework: str, *, seed: int = 0, alpha: float = 1e-6,
               progress: Callable[[int, int], None] | None = None) -> list[Row]:
    """Every initializer of the framework at each of its shapes and dtypes: one `Row` each."""
    module = adapter(framework)
    entries: Sequence[Entry] = module.entries()
    jobs = [(e, s, d) for e in entries for s in e.shapes for d in e.dtypes]
    rows = []
    for i, ((entry, shape, dtype), child) in enumerate(zip(jobs, child_seeds(seed, len(jobs)),
                                                          strict=True)):
        convention = module.CONVENTION
        if entry.kind == "moments":
            row = _moment_row(framework, convention, entry, shape, dtype, child, alpha)
        else:
            row = _other_row(framework, convention, entry, shape, dtype, child, alpha)
        if not _reproducible(entry, shape, dtype, child, module.disturb):
            row = replace(row, passed=False, reproducible=False,
                          finding=_join("the same seed gave a different array", row.finding))
        rows.append(row)
        if progress is not None:
            progress(i + 1, len(jobs))
    return rows
