"""Great Expectations Data Docs that open on a closed network.

GX's page templates load Bootstrap, jQuery, Font Awesome, Vega and their plugins from CDNs, and
its logo from a web server: offline, the index (whose table jQuery builds) is empty and every
page unstyled. The same files, at the versions the templates name, are kept in
``expectations/gx/plugins/custom_data_docs/vendor/`` (their README says where each comes
from); ``build()`` builds the Data Docs as GX does, copies those files into the site
(``static/vendor/``) and points the pages it wrote at them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gnbv.offline_html import localize

VENDOR_DIR = Path(__file__).resolve().parent.parent / "expectations" / "gx" / "plugins" / "custom_data_docs" / "vendor"

# What GX's templates fetch, and the file of the site's static/ folder that replaces it.
LOCAL_ASSETS = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "vendor/bootstrap/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "vendor/bootstrap/bootstrap.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "vendor/jquery/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "vendor/popper.js/popper.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "vendor/bootstrap-table/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "vendor/bootstrap-table/bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "vendor/bootstrap-table/bootstrap-table-filter-control.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "vendor/bootstrap-table/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "vendor/bootstrap-table/bootstrap-table-filter-control.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "vendor/bootstrap-datepicker/bootstrap-datepicker.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "vendor/bootstrap-datepicker/bootstrap-datepicker.min.js"
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "vendor/bootstrap-dark/bootstrap-prefers-dark.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "vendor/fontawesome/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/vega@5": "vendor/vega/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vendor/vega/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vendor/vega/vega-embed.min.js",
    # GX ships its logo in static/images; the templates still take it from its web server
    "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png": "images/logo-long.png",
    "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/full_logo_dark.png": "images/logo-long.png",
}


def build(context: Any, resource_identifiers: Iterable[Any], site_names: list[str] | None = None) -> None:
    """``context.build_data_docs`` for these results, then the pages it wrote made offline."""
    started = time.time()
    context.build_data_docs(site_names=site_names or None, resource_identifiers=list(resource_identifiers))
    for site in _local_sites(context, site_names):
        make_offline(site, since=started)


def _local_sites(context: Any, site_names: list[str] | None) -> list[Path]:
    sites = []
    for name, config in (context.variables.data_docs_sites or {}).items():
        if site_names and name not in site_names:
            continue
        backend = config.get("store_backend", {})
        base = backend.get("base_directory")
        if backend.get("class_name") == "TupleFilesystemStoreBackend" and base:
            sites.append(Path(context.root_directory) / base)
    return sites


def make_offline(site: Path, *, since: float = 0.0) -> list[Path]:
    """Copy the vendored assets into ``site/static/vendor`` (when they changed) and localize the
    pages and GX's style sheets written since ``since`` (epoch seconds; 0: all). The files changed."""
    vendor = site / "static" / "vendor"
    _copy_vendor(vendor)
    changed = []
    threshold = since - 1.0  # file times are coarser than time.time() on some file systems
    written = [*site.rglob("*.html"), *(p for p in site.rglob("*.css") if vendor not in p.parents)]
    for page in written:
        if page.stat().st_mtime < threshold:
            continue
        text = page.read_text(encoding="utf-8")
        static = os.path.relpath(site / "static", page.parent).replace(os.sep, "/")
        offline = localize(text, {url: f"{static}/{path}" for url, path in LOCAL_ASSETS.items()})
        if offline != text:
            page.write_text(offline, encoding="utf-8")
            changed.append(page)
    return changed


def _copy_vendor(target: Path) -> None:
    files = sorted(p for p in VENDOR_DIR.rglob("*") if p.is_file())
    stamp = hashlib.sha256(
        "\n".join(f"{p.relative_to(VENDOR_DIR)}:{p.stat().st_size}" for p in files).encode()
    ).hexdigest()
    stamp_file = target / ".gnbv-vendor-stamp"
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return
    shutil.copytree(VENDOR_DIR, target, dirs_exist_ok=True)
    stamp_file.write_text(stamp)
