"""`translate`: one framework's initializer as the equivalent call in each of the others.

An entry of the source adapter names what it draws (a derive scheme); each target
adapter's `spell(scheme, role)` offers the calls its API can write near that
scheme, each with the scheme it really draws. A call is *exact* when the two laws
are the same function of the fans (family, truncation point in σ, variance, mean);
otherwise the nearest is named with how far it is: the variance ratio and the
Kolmogorov distance sup|F − G| between the two laws at `REFERENCE_FANS`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache

import numpy as np
from scipy import stats

from derive import Scheme, constant
from verify.checking import distribution
from verify.frameworks.protocol import Entry, Spelling
from verify.frameworks.registry import adapter, installed

REFERENCE_FANS = (300, 500)
"""Where a fan-dependent law is compared with another: fan_in ≠ fan_out, so modes differ."""
SAME_IN_PRACTICE = 1e-9
"""A Kolmogorov distance below this is a difference in the formula, not one a sample shows."""
FAN_PAIRS = (REFERENCE_FANS, (7, 1100), (64, 64))
"""Where two variances must agree (to 1e-9) for the laws to be the same."""


@dataclass(frozen=True)
class Translation:
    """`source`'s `name` (its `role` part, drawing `claim`) as a call in `target`."""

    source: str
    name: str
    role: str
    claim: str
    target: str
    call: str | None
    exact: bool
    note: str = ""
    variance_ratio: float | None = None
    distance: float | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _family(s: Scheme) -> tuple[object, ...]:
    """('constant',), ('normal',), ('uniform',) or ('truncated_normal', k)."""
    if s.distribution == "truncated_normal":
        return ("truncated_normal", float(s.truncation))  # type: ignore[arg-type]
    if s.variance == 0:
        return ("constant",)
    return (s.distribution,)


def same_law(a: Scheme, b: Scheme) -> bool:
    """Whether a and b draw the same law at every pair of fans."""
    fa, fb = _family(a), _family(b)
    if fa[0] != fb[0] or (len(fa) == 2 and not np.isclose(fa[1], fb[1])):  # type: ignore[arg-type]
        return False
    return same_variance(a, b) and bool(np.isclose(float(a.mean), float(b.mean), rtol=1e-9,
                                                   atol=1e-12))


def same_variance(a: Scheme, b: Scheme) -> bool:
    """Whether a and b have the same variance at every pair of fans (the first thing a
    translation must keep; the nearest call is sought among those first)."""
    return a.variance.free_symbols == b.variance.free_symbols and all(
        np.isclose(a.variance_at(*f), b.variance_at(*f), rtol=1e-9, atol=0) for f in FAN_PAIRS)


def fan_dependent(s: Scheme) -> bool:
    """Whether the variance depends on the fans (a fan mode, not a fixed law)."""
    return bool(s.variance.free_symbols)


def _law(s: Scheme) -> stats.rv_continuous | None:
    if s.variance == 0:
        return None
    return distribution(s, *REFERENCE_FANS)


def law_distance(a: Scheme, b: Scheme) -> float:
    """sup|F_a − F_b| at `REFERENCE_FANS` (1 between a constant and a random law)."""
    la, lb = _law(a), _law(b)
    ma, mb = float(a.mean), float(b.mean)
    if la is None or lb is None:
        return 0.0 if la is lb and ma == mb else 1.0
    q = np.linspace(1e-6, 1 - 1e-6, 4001)
    x = np.union1d(la.ppf(q) + ma, lb.ppf(q) + mb)
    return float(np.abs(la.cdf(x - ma) - lb.cdf(x - mb)).max())


def _ratio(a: Scheme, b: Scheme) -> float | None:
    va, vb = a.variance_at(*REFERENCE_FANS), b.variance_at(*REFERENCE_FANS)
    return None if va == 0 else vb / va


def claim_of(entry: Entry) -> Scheme | None:
    """The scheme an entry really draws: `draws` where it differs from its claim, else its
    claim, or its constant."""
    if entry.draws is not None or entry.claim is not None:
        return entry.draws or entry.claim
    return constant(entry.value) if entry.kind == "constant" else None


def describe(s: Scheme) -> str:
    """The scheme's name and its law: 'uniform_inv_sqrt: uniform, variance 1/(3*fan_in)'."""
    law = f"{s.distribution.replace('_', ' ')}, variance {s.variance}"
    law += f" cut at +-{s.truncation} sigma" if s.distribution == "truncated_normal" else ""
    law += f", mean {s.mean}" if s.mean != 0 else ""
    return s.name if s.variance == 0 else f"{s.name}: {law}"


def _one(source: str, entry: Entry, claim: Scheme, target: str) -> Translation:
    head = (source, entry.name, entry.role, describe(claim), target)
    spell = getattr(adapter(target), "spell", None)
    if spell is None:
        return Translation(*head, None, False, f"{target}'s adapter writes no calls")
    offers: list[Spelling] = spell(claim, entry.role)
    for offer in offers:
        if same_law(offer.claim, claim):
            return Translation(*head, offer.call, True, offer.note, 1.0, 0.0)
    if fan_dependent(claim) and not any(fan_dependent(o.claim) for o in offers):
        why = (f"its initializers see only the bias's own shape, not the layer's fans, so "
               f"none draws {claim.name}" if entry.role == "bias" else
               f"no call of its API draws a law that scales with the fans as {claim.name} does")
        return Translation(*head, None, False, f"no {target} equivalent: {why}")
    if not offers:
        return Translation(*head, None, False, f"no {target} call draws {claim.name}")
    nearest = min(offers, key=lambda o: (not same_variance(claim, o.claim),
                                         law_distance(claim, o.claim)))
    ratio, dist = _ratio(claim, nearest.claim), law_distance(claim, nearest.claim)
    how = f"variance ratio {ratio:.4g}, " if ratio is not None else ""
    note = (f"no exact equivalent; the nearest draws {nearest.claim.name} ({how}"
            f"sup|F - G| = {dist:.3g} at fans {REFERENCE_FANS}"
            + (", a difference no sample shows)" if dist < SAME_IN_PRACTICE else ")"))
    note += f"; {nearest.note}" if nearest.note else ""
    return Translation(*head, nearest.call, False, note, ratio, dist)


@cache
def _entries(framework: str) -> list[Entry]:
    return adapter(framework).entries()


def translate(framework: str, name: str, *, to: list[str] | None = None) -> list[Translation]:
    """`name` (an entry of `framework`'s adapter; a layer's name brings its "NAME bias" too)
    in every other installed framework, or in those of `to`."""
    named = [e for e in _entries(framework) if e.name in (name, f"{name} {e.role}")]
    entries = [e for e in named if claim_of(e) is not None]
    if named and not entries:
        raise ValueError(f"{framework}'s {name} is checked as {named[0].kind}, not as a law: "
                         "translate writes random laws and constants only")
    if not entries:
        known = sorted({e.name for e in _entries(framework) if claim_of(e) is not None})
        raise ValueError(f"{framework} has no initializer {name!r}; choose from: "
                         + ", ".join(known))
    targets = [t for t in (to or installed()) if t != framework]
    return [_one(framework, e, claim_of(e), t)  # type: ignore[arg-type]
            for e in entries for t in targets]
