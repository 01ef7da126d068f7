"""hypothesis strategies for other projects' property tests: kernel shapes and schemes."""

from __future__ import annotations

from hypothesis import strategies as st

from derive import SCHEMES, Scheme
from verify.layout import CONVENTIONS, out_first


@st.composite
def kernel_shapes(draw: st.DrawFn, convention: str = "torch", *, max_side: int = 64,
                  max_kernel_dims: int = 3, max_kernel: int = 7) -> tuple[int, ...]:
    """Dense and convolution kernel shapes in the convention's layout."""
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; valid: {', '.join(CONVENTIONS)}")
    fan_in = draw(st.integers(1, max_side))
    fan_out = draw(st.integers(1, max_side))
    kernel = tuple(draw(st.lists(st.integers(1, max_kernel), max_size=max_kernel_dims)))
    if convention == "mlx":
        return (fan_out, *kernel, fan_in)
    if out_first(convention, 2 + len(kernel)):
        return (fan_out, fan_in, *kernel)
    return (*kernel, fan_in, fan_out)


def schemes(*, random_only: bool = True) -> st.SearchStrategy[Scheme]:
    """The catalogue's distinct schemes (without `zeros` unless random_only=False)."""
    distinct = {id(s): s for s in SCHEMES.values() if s.variance != 0 or not random_only}
    return st.sampled_from(sorted(distinct.values(), key=lambda s: s.name))
