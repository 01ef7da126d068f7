"""`check`: a battery of calibrated tests of an initializer against derive's scheme.

The p-valued tests (`PVALUED`: the law's moments, extremes and shape over every value;
independence in memory order, along rows and columns and in the spectrum; ties beyond
what the dtype explains) are corrected together by Holm at family-wise level α. The
deterministic ones (shape, floating dtype, finite, within the bound, the same seed
giving the same array, different seeds different arrays) pass or fail outright.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Sequence
from numbers import Real

import numpy as np

from derive import Scheme
from verify.checking import complex_law, dependence, marginal, repeats
from verify.checking import statistics as st
from verify.checking.orthogonality import check_orthogonal
from verify.checking.precision import (
    MANTISSA_BITS,
    dtype_name,
    spacing,
    tie_moments,
)
from verify.checking.result import Check, Finding, Report
from verify.checking.stream import THINNED, Stream
from verify.layout import check_shape, out_first
from verify.layout import fans as layout_fans
from verify.sampling import Initializer, child_seeds, complex_power, resolve

CHUNK = 1 << 16  # values per streamed chunk: small enough to stay in cache
DEFAULT_DELTA = 0.02
DEFAULT_POWER = 0.99
MIN_CALLS = 8  # a callable is called at least this often, so that seeds are compared
STRUCTURE_VALUES = 1 << 20  # row, column and spectrum tests look at this many values at most
MIN_KURTOSIS = 20_000
"""The fourth-moment test runs from this n on: below, its Edgeworth-corrected normal law
misses the skewed kurtosis of a few thousand values (p-values of 1e-25 for 16 uniform
values); the calibration shows it calibrated at n = 20,000."""
PVALUED = ("mean", "variance", "fourth_moment", "tail", "ks", "histogram",
           "serial_correlation", "row_sums", "column_sums", "top_singular_value", "ties")
"""The tests Holm corrects together (max_near_bound stands for tail on a bounded law);
those the shape or the law does not allow are left out of the family."""
Init = Initializer | np.ndarray


def default_samples(scheme: Scheme, fan_in: float, fan_out: float, alpha: float) -> int:
    """n that catches a 2% scale error with power 0.99 at the family's α (Bonferroni bound)."""
    kappa = st.kurtosis(st.distribution(scheme, fan_in, fan_out))
    return st.samples_for(DEFAULT_DELTA, kappa, alpha / len(PVALUED), DEFAULT_POWER)


def _as_array(value: object, init: object, copy: bool = True) -> np.ndarray:
    """`value` as an array, copied when it is kept past the next call: in-place
    initializers hand back one reused buffer."""
    if not isinstance(value, np.ndarray) and not hasattr(value, "__array__"):
        raise TypeError(f"initializer {getattr(init, '__name__', init)!r} returned "
                        f"{type(value).__name__} ({value!r:.60}), not an array")
    return np.array(value, copy=True) if copy else np.asarray(value)


def _fan(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not value > 0 \
            or not math.isfinite(value):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return int(value) if float(value).is_integer() else float(value)


def _arrays(init: Init, shape: tuple[int, ...], seeds: list[int],
            notes: list[str]) -> Iterator[np.ndarray]:
    """The arrays to test: the array itself, or init(shape, sᵢ) for each seed; the first
    (kept for the structure tests) and complex ones (kept whole) copied, the others
    streamed before the next call."""
    if not callable(init):
        yield np.asarray(init)
        return
    previous, reused = None, False
    for seed in seeds:
        value = init(shape, seed)
        if value is previous and not reused:
            reused = True
            notes.append("init returned the same buffer object on two calls (an in-place "
                         "initializer); each result was used before the next call")
        keep = previous is None or np.iscomplexobj(value)
        previous = value
        yield _as_array(value, init, copy=keep)


def _fingerprint(array: np.ndarray) -> bytes:
    """A digest of the first 4096 values and the sum of all: equal arrays share it, and
    arrays of different seeds share it only where they repeat a stream."""
    flat = array.reshape(-1)
    head = np.ascontiguousarray(flat[:4096]).tobytes()
    return hashlib.blake2b(head + np.asarray(flat.sum()).tobytes(), digest_size=16).digest()


def _chunks(array: np.ndarray) -> Iterator[np.ndarray]:
    flat = array.reshape(-1)
    for i in range(0, flat.size, CHUNK):
        yield flat[i : i + CHUNK]


def _view(array: np.ndarray, convention: str) -> np.ndarray | None:
    """The 2-D view the framework multiplies with: (out, in·k) where the output axis is
    first, (k·in, out) else;
    its leading rows only, at most `STRUCTURE_VALUES` values, less their grand mean."""
    if array.ndim < 2:
        return None
    m = array.reshape(array.shape[0], -1) if out_first(convention, array.ndim) else \
        array.reshape(-1, array.shape[-1])
    rows = max(2, STRUCTURE_VALUES // m.shape[1])
    view = m[:rows].astype(np.float64)
    view -= view.mean()
    return view


def _source_dtype(first: np.ndarray, dtype: str | None) -> str | None:
    """The dtype the values were made in: as given, else the array's own (None if not real
    floating)."""
    if dtype is not None and not str(dtype).startswith("complex"):
        return dtype_name(dtype)
    name = str(first.dtype)
    return name if name in MANTISSA_BITS else None


def check(init: Init, scheme: Scheme | str, *, shape: Sequence[int], convention: str = "torch",
          seed: int = 0, alpha: float = 1e-6, n_samples: int | None = None,
          dtype: str | None = None, fans: tuple[float, float] | None = None,
          **axes: object) -> Report:
    """Test `init` (an array, or a callable init(shape, seed)) against the scheme.

    Args:
        init: the array, or `init(shape, seed) -> array` (called with seeds spawned from
            `seed`, each result copied, so in-place initializers work).
        scheme: a `derive.Scheme` or its name.
        shape: the kernel's shape, in `convention`'s layout (fans from `verify.fans`).
        alpha: the family-wise error rate of all the p-valued tests together.
        n_samples: values to draw from a callable (default: enough for a 2% scale error).
        dtype: the dtype the values were made in, when they arrive converted (bfloat16
            values as float32, say); by default the array's own. The checks then expect
            the ties and steps of that dtype, and |w| may pass the bound by one spacing.
        fans: (fan_in, fan_out) to use instead of the shape's (a bias takes its weight's, a
            packed tensor its parts'); the shape may then have one dimension.

    An orthogonal scheme is checked by `check_orthogonal` instead: orthonormality of the
    2-D view and the Haar diagonal-sum test, with n_samples and fans unused.

    Returns:
        A `Report`: `.passed`, `.checks` (each with statistic, p-value, effect and the
        smallest error it could detect), `str()` a table under a one-line headline.

    >>> from verify import sample
    >>> report = check(lambda shape, seed: sample("glorot_uniform", shape, rng=seed) * 1.1,
    ...                "glorot_uniform", shape=(128, 64))
    >>> report.passed, [c.name for c in report.failed]
    (False, ['within_bound', 'variance', 'ks'])
    """
    scheme = resolve(scheme)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    if scheme.distribution == "orthogonal":
        return check_orthogonal(init, scheme, shape=shape, convention=convention, seed=seed,
                                alpha=alpha, dtype=dtype, **axes)
    if n_samples is not None and (isinstance(n_samples, bool) or n_samples < 1):
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    shape = check_shape(shape, 2 if fans is None else 1)
    fan_in, fan_out = layout_fans(shape, convention, **axes) if fans is None \
        else (_fan("fan_in", fans[0]), _fan("fan_out", fans[1]))  # type: ignore[arg-type]
    variance, bound = scheme.variance_at(fan_in, fan_out), scheme.bound_at(fan_in, fan_out)
    centre = float(scheme.mean)  # every test but the raw ones looks at w − centre
    notes: list[str] = []
    size = math.prod(shape)
    if callable(init) and n_samples is None and variance > 0:
        n_samples = default_samples(scheme, fan_in, fan_out, alpha)
        notes.append(f"n={n_samples:,} chosen to catch a {DEFAULT_DELTA:.0%} scale error with "
                     f"power {DEFAULT_POWER} at the family's alpha")
    calls = max(MIN_CALLS, -(-(n_samples or size) // size)) if callable(init) else 1
    if callable(init) and n_samples is not None and calls * size > n_samples and not notes:
        notes.append(f"n_samples={n_samples:,} raised to {calls * size:,}: whole arrays, and at "
                     f"least {MIN_CALLS} calls so that their seeds can be compared")
    seeds = child_seeds(seed, calls)
    random = variance > 0
    dist = st.distribution(scheme, fan_in, fan_out) if random else None

    stream, first, checks, parts = None, None, [], []
    digests: dict[int, bytes] = {}  # seed → digest: two calls may share a 32-bit seed
    for call, array in enumerate(_arrays(init, shape, seeds, notes)):
        if first is None:
            first = array
            checks += _sanity(first, shape, scheme)
            source = _source_dtype(first, dtype)
            if not all(c.passed for c in checks if c.name == "dtype"):
                return Report(scheme.name, shape, convention, fan_in, fan_out, first.size,
                              alpha, tuple(checks), tuple(notes))
            if dist is not None:
                edges = marginal.histogram_edges(dist, bound, max(n_samples or 0, first.size))
                stride = max(1, -(-(calls * size) // THINNED))
                stream = Stream(edges, stride, centre)
        digests[seeds[call]] = _fingerprint(array)
        if np.iscomplexobj(first):
            parts.append(array)
        elif stream is not None and array.shape == first.shape:
            for chunk in _chunks(array):
                stream.add(chunk)
    assert first is not None
    if callable(init):
        checks.append(_same_seed(init, shape, seeds[0], first))
    if parts:
        return _complex(parts, digests, scheme, variance, shape, convention, fan_in, fan_out,
                        alpha, callable(init), checks, notes, centre)
    if stream is not None:
        nonfinite, largest = stream.nonfinite, stream.max_abs
    else:  # a constant scheme: the first array is all there is
        values = first.reshape(-1).astype(np.float64) - centre
        nonfinite = int(np.sum(~np.isfinite(values)))
        largest = float(np.max(np.abs(values), initial=0))
    checks.append(Check.outright("finite", 0, nonfinite, nonfinite == 0,
                                 f"{nonfinite} values are NaN or infinite"))
    ulp = spacing(source, abs(centre) + bound) if bound else 0.0
    if bound is not None and random:
        checks.append(Check.outright("within_bound", bound, largest, largest <= bound + ulp,
                                     f"largest |w{f' - {centre:g}' if centre else ''}| "
                                     f"{largest:.6g} exceeds the bound {bound:.6g}"))
    if not random:
        checks.append(Check.outright("constant", centre, centre + largest, largest == 0,
                                     f"values differ from the constant {centre:g} by up to "
                                     f"{largest:.3g}"))
        return Report(scheme.name, shape, convention, fan_in, fan_out, first.size, alpha,
                      tuple(checks), tuple(notes))
    assert stream is not None and dist is not None
    top = abs(centre) + (bound if bound is not None else 6 * math.sqrt(variance))
    q2, q3 = tie_moments(dist, source, top)
    if callable(init):
        distinct = repeats.distinct_arrays(digests, size, q2, alpha)
        if distinct is None:
            notes.append("equal arrays from different seeds are likely at this size and dtype: "
                         "not compared")
        else:
            checks.append(distinct)
    if 2 <= stream.n < MIN_KURTOSIS:
        notes.append(f"n={stream.n:,}: fourth_moment left out (calibrated from n="
                     f"{MIN_KURTOSIS:,}); the tail test still sees outliers")
    if stream.n < 2:
        notes.append(f"n={stream.n}: too few values for any statistical test; only the "
                     "deterministic checks ran, and they cannot see a wrong law")
        return Report(scheme.name, shape, convention, fan_in, fan_out, stream.n, alpha,
                      tuple(checks), tuple(notes))
    findings = _statistical(stream, first, dist, scheme, variance, bound, ulp, source, q2, q3,
                            convention, alpha)
    rejected = st.holm([f.pvalue for f in findings], alpha)  # type: ignore[misc]
    checks += [Check.judged(f, not r) for f, r in zip(findings, rejected, strict=True)]
    return Report(scheme.name, shape, convention, fan_in, fan_out, stream.n, alpha,
                  tuple(checks), tuple(notes))


def _sanity(first: np.ndarray, shape: tuple[int, ...], scheme: Scheme) -> list[Check]:
    """Shape and a floating dtype (or complex, for a random scheme), on the first array."""
    complex_ = np.iscomplexobj(first)
    fits = np.issubdtype(first.dtype, np.floating) or str(first.dtype) == "bfloat16" \
        or (complex_ and scheme.variance != 0)
    return [Check.outright("shape", str(shape), str(first.shape), first.shape == shape,
                           f"the array has shape {first.shape}, not {shape}"),
            Check.outright("dtype", "floating", str(first.dtype), fits,
                           f"dtype {first.dtype} is not a floating type")]


def _complex(parts: list[np.ndarray], digests: dict[int, bytes], scheme: Scheme, variance: float,
             shape: tuple[int, ...], convention: str, fan_in: int, fan_out: int, alpha: float,
             drawn: bool, checks: list[Check], notes: list[str], centre: float) -> Report:
    """The complex battery (`complex_law`) under Holm, and the outright checks; E|w|² is
    derive's `complex_variance`, and |w|²/E|w|² may pass a bounded law's top by rounding."""
    values = np.concatenate([p.reshape(-1) for p in parts]) - centre
    nonfinite = int(np.sum(~np.isfinite(values)))
    checks = [*checks, Check.outright("finite", 0, nonfinite, nonfinite == 0,
                                      f"{nonfinite} values are NaN or infinite")]
    distinct = repeats.distinct_arrays(digests, values.size // len(parts), 0.0, alpha)
    if drawn and distinct is not None:
        checks.append(distinct)
    if nonfinite == 0 and values.size >= 2:
        power = complex_power(scheme, fan_in, fan_out)
        law = st.modulus_distribution(scheme)
        top = float(law.support()[1])
        if math.isfinite(top):
            largest = float(np.max(values.real**2 + values.imag**2)) / power
            slack = 4 * float(np.finfo(values.real.dtype).eps)
            checks.append(Check.outright(
                "within_bound", top, largest, largest <= top * (1 + slack),
                f"the largest |w|^2/E|w|^2 is {largest:.6g}, beyond the law's top {top:.6g}"))
        found = complex_law.findings(values, power, law, scheme.distribution == "normal",
                                     st.power_z(alpha / complex_law.TESTS, DEFAULT_POWER))
        rejected = st.holm([f.pvalue for f in found], alpha)  # type: ignore[misc]
        checks += [Check.judged(f, not r) for f, r in zip(found, rejected, strict=True)]
    return Report(scheme.name, shape, convention, fan_in, fan_out, values.size, alpha,
                  tuple(checks), tuple(notes))


def _same_seed(init: Initializer, shape: tuple[int, ...], seed: int,
               first: np.ndarray) -> Check:
    again = _as_array(init(shape, seed), init)
    same = again.shape == first.shape and bool(np.array_equal(again, first, equal_nan=True))
    return Check.outright("same_seed_same_array", "equal", "equal" if same else "different",
                          same, "calling init twice with the same seed gave different arrays: "
                          "it draws from a global random state")


def _statistical(s: Stream, first: np.ndarray, dist: object, scheme: Scheme, variance: float,
                 bound: float | None, ulp: float, dtype: str, q2: float, q3: float,
                 convention: str, alpha: float) -> list[Finding]:
    kappa = st.kurtosis(dist)  # type: ignore[arg-type]
    view = _view(first, convention)
    structural: list[Finding] = []
    if view is not None and np.isfinite(view).all():
        structural += dependence.line_sums(view)
        top = dependence.top_singular(view)
        structural += [top] if top is not None else []
    kurtosis_known = s.n >= MIN_KURTOSIS
    family = 7 + kurtosis_known + len(structural)
    each = alpha / family
    z, power_z = st.z_two_sided(alpha), st.power_z(each, DEFAULT_POWER)
    fourth = [marginal.fourth_moment(s, dist, power_z)] if kurtosis_known else []  # type: ignore
    return [
        marginal.location(s, variance, z, power_z),
        marginal.scale(s, variance, kappa, scheme.distribution == "normal", z,
                       st.detectable(s.n, kappa, each, DEFAULT_POWER)),
        *fourth,
        marginal.extreme(s, dist, bound, ulp),  # type: ignore[arg-type]
        marginal.ks(s, dist, dtype, each),  # type: ignore[arg-type]
        marginal.histogram(s, dist, dtype, bound is not None),  # type: ignore[arg-type]
        dependence.serial(s),
        *structural,
        repeats.ties(first.reshape(-1)[: repeats.TIE_VALUES].astype(np.float64), q2, q3),
    ]


def assert_initializer(init: Init, scheme: Scheme | str, **kwargs: object) -> Report:
    """`check`, raising AssertionError carrying the report when any check fails."""
    report = check(init, scheme, **kwargs)  # type: ignore[arg-type]
    if not report.passed:
        raise AssertionError(f"initializer failed:\n{report}")
    return report
