"""Importing a library without executing the parts of it a command never uses.

Great Expectations imports, at its own import, everything any of its expectations might need:
``scipy.stats`` (for distribution tests) and ``altair`` (for their charts) alone are over half
of its import time, which a district officer pays on every ``gnbv validate``. Inside
``deferred(...)`` the named modules are imported *lazily*
(``importlib.util.LazyLoader``): the module object exists at once, and its code runs on first
use of one of its attributes — never, for the gates' expectations. Outside the block imports
are as usual; a module deferred inside it stays lazy in ``sys.modules``.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterator, Sequence
from types import ModuleType


class _DeferringFinder(importlib.abc.MetaPathFinder):
    def __init__(self, names: frozenset[str]):
        self.names = names

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        for finder in sys.meta_path:  # the finder that would have found it, wrapped
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = importlib.util.LazyLoader(spec.loader)
                return spec
        return None


@contextlib.contextmanager
def deferred(*names: str) -> Iterator[None]:
    """Imports of the modules ``names`` (full dotted names) made inside the block are lazy."""
    finder = _DeferringFinder(frozenset(names) - set(sys.modules))
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
