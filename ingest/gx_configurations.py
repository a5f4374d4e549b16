"""Each expectation's configuration built once per validation, not once per question about it.

Great Expectations 1.x answers every question a validation asks about an expectation — each
domain and success keyword, the result format, the metric dependencies — through the
``Expectation.configuration`` property, which rebuilds the whole configuration from the
pydantic model each time (``dict()``, then a new ``ExpectationConfiguration``), about a hundred
times per expectation per validation: a large share of a gate call (docs/performance.md).
The expectations a validation works on are built for it from the suite (``to_domain_obj``) and
not changed while it runs, so within ``one_per_validation()`` an expectation's first
configuration answers the rest of its questions. Outside the block, and
in any other thread or context, GX is left exactly as it is; ``tests/test_gx_configurations.py``
holds the results of both ways equal, passing and failing, in both result formats the gate asks.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Iterator
from typing import Any

# id(expectation) -> (the expectation, its configuration); the expectation is kept so that its
# id is not reused by another object while the block lasts
_memo: contextvars.ContextVar[dict[int, tuple[Any, Any]] | None] = contextvars.ContextVar(
    "gnbv_gx_configurations", default=None
)


@functools.cache
def _installed() -> None:
    """Wrap GX's property once per process; it defers to GX outside ``one_per_validation()``."""
    from great_expectations.expectations.expectation import Expectation

    gx_property: Any = Expectation.__dict__["configuration"]
    built_by_gx = gx_property.fget

    def configuration(self: Any) -> Any:
        memo = _memo.get()
        if memo is None:
            return built_by_gx(self)
        known = memo.get(id(self))
        if known is None or known[0] is not self:
            known = memo[id(self)] = (self, built_by_gx(self))
        return known[1]

    configuration.__doc__ = built_by_gx.__doc__
    Expectation.configuration = property(configuration)  # type: ignore[method-assign,assignment]


@contextlib.contextmanager
def one_per_validation() -> Iterator[None]:
    """Within the block (one validation), each expectation's configuration is built once."""
    _installed()
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)
