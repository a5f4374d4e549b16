"""Great Expectations' Data Docs views, with GX's page templates compiled once rather than at
every build.

GX renders the Data Docs through views that each create a Jinja environment of their own, and
creates the views anew at every build: each build compiles the same dozen templates from their
source again, several times over (parsing them and generating Python is most of a build's
time). Intake builds the Data Docs at the end of every run, while the reader processes are done
and a core idles; the portal after its uploads. These views are GX's own, with one bytecode
cache for every view of every process: ``.gnbv/cache/jinja`` (in memory when there is no such
folder or it cannot be written). Jinja keys each template by its name and file, checks its
source and the Python version before using a cached copy, and compiles afresh when either
changed, so an upgraded GX never renders from stale code.

``expectations/gx/great_expectations.yml`` names them as the ``view`` of the site's sections and
of its index; the pages are rendered by GX's code and templates as before.
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path
from typing import Any

import jinja2
from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView


class _QuietFileSystemBytecodeCache(jinja2.FileSystemBytecodeCache):
    """A folder of compiled templates; a copy that cannot be written is only a compilation
    again next time, never a failed page."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


class _InMemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates shared by the views of this process alone."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


@functools.cache
def shared_bytecode_cache() -> jinja2.BytecodeCache:
    """The templates compiled by any view: in ``.gnbv/cache/jinja``, else in this process."""
    from gnbv.reference_cache import default_cache_dir

    cache_dir = default_cache_dir()
    if cache_dir is not None:
        folder = Path(cache_dir) / "jinja"
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
            return _QuietFileSystemBytecodeCache(str(folder))
    return _InMemoryBytecodeCache()


class _CompiledOnce:
    """Sets the shared bytecode cache on the Jinja environment GX's view has just created."""

    env: jinja2.Environment

    def __init__(self, custom_styles_directory: Any = None, custom_views_directory: Any = None) -> None:
        super().__init__(custom_styles_directory, custom_views_directory)  # type: ignore[call-arg]
        self.env.bytecode_cache = shared_bytecode_cache()


class CompiledOnceJinjaPageView(_CompiledOnce, DefaultJinjaPageView):
    """GX's page view (a suite's page, a validation's page)."""


class CompiledOnceJinjaIndexPageView(_CompiledOnce, DefaultJinjaIndexPageView):
    """GX's index page view."""
