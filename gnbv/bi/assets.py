"""The province's dashboards as code: Superset's own export format, under version control.

``deploy/superset/assets/`` is a Superset asset bundle (what *Settings → Export* or
``/api/v1/assets/export/`` gives), kept without the ids Superset appends to file names::

    metadata.yaml                       type: assets
    databases/<database>.yaml           the warehouse's marts (URI rewritten at provisioning)
    datasets/<database>/<dataset>.yaml  a mart, or SQL over marts.* only
    charts/<chart>.yaml                 each chart's form data and stored query
    dashboards/<dashboard>.yaml         layout, native filters, slug

A dashboard is provisioned when every mart its datasets read exists in the warehouse; one that
waits for a mart not built yet (e.g. ``marts.fct_outlier_flag``) is skipped and named, and the
next provisioning after the mart is built brings it in. Adding a dashboard is adding its YAML
(and its dbt exposure: tests/test_bi_assets.py binds the two).
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from gnbv.bi.superset import SUPERSET_DIR, BiError

ASSETS_DIR = SUPERSET_DIR / "assets"
MARTS_SCHEMA = "marts"
BUNDLE_ROOT = "gnbv_dashboards"
# The URI kept in the repo: provisioning writes the warehouse's real one, with the password
# passed beside it (Superset's import masks it as XXXXXXXXXX).
PLACEHOLDER_URI = "postgresql+psycopg2://gnbv_bi_superset:XXXXXXXXXX@127.0.0.1:5433/gnbv"
_MART_REFERENCE = re.compile(r'\bmarts\s*\.\s*"?([a-z_][a-z0-9_]*)"?', re.IGNORECASE)
_OTHER_SCHEMA_REFERENCE = re.compile(
    r'\b(raw|staging|intermediate|reference|meta|public)\s*\.\s*"?[a-z_]', re.IGNORECASE
)


@dataclass(frozen=True)
class Bundle:
    """The asset files by path inside the bundle (``charts/x.yaml``): text and parsed YAML."""

    texts: dict[str, str]
    configs: dict[str, dict[str, Any]] = field(repr=False)

    @classmethod
    def from_texts(cls, texts: dict[str, str]) -> Bundle:
        configs: dict[str, dict[str, Any]] = {}
        for path, text in texts.items():
            try:
                loaded = yaml.safe_load(text)
            except yaml.YAMLError as err:
                raise BiError(f"{path} of the dashboards is not valid YAML: {err}") from None
            if not isinstance(loaded, dict):
                raise BiError(f"{path} of the dashboards is not a YAML mapping")
            configs[path] = loaded
        if "metadata.yaml" not in configs:
            raise BiError("The dashboards bundle has no metadata.yaml")
        return cls(texts=dict(texts), configs=configs)

    @classmethod
    def load(cls, folder: Path = ASSETS_DIR) -> Bundle:
        if not folder.is_dir():
            raise BiError(f"No dashboards folder {folder}")
        texts = {
            path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(folder.rglob("*.yaml"))
        }
        return cls.from_texts(texts)

    # ------------------------------------------------------------------------ the parts

    def _of(self, kind: str) -> dict[str, dict[str, Any]]:
        return {path: config for path, config in self.configs.items() if path.startswith(f"{kind}/")}

    @property
    def databases(self) -> dict[str, dict[str, Any]]:
        return self._of("databases")

    @property
    def datasets(self) -> dict[str, dict[str, Any]]:
        return self._of("datasets")

    @property
    def charts(self) -> dict[str, dict[str, Any]]:
        return self._of("charts")

    @property
    def dashboards(self) -> dict[str, dict[str, Any]]:
        return self._of("dashboards")

    def _by_uuid(self, kind: str) -> dict[str, dict[str, Any]]:
        return {str(config["uuid"]): config for config in self._of(kind).values()}

    # ------------------------------------------------------------------------ what reads what

    @staticmethod
    def marts_of_dataset(dataset: dict[str, Any]) -> set[str]:
        """The marts a dataset reads: its table, or every ``marts.x`` its SQL names."""
        sql = dataset.get("sql") or ""
        if sql.strip():
            return {name.lower() for name in _MART_REFERENCE.findall(sql)}
        return {str(dataset["table_name"])} if dataset.get("schema") == MARTS_SCHEMA else set()

    @staticmethod
    def other_schemas_of_dataset(dataset: dict[str, Any]) -> set[str]:
        """Schemas other than marts a dataset names (the BI role cannot read them)."""
        sql = dataset.get("sql") or ""
        named = {m.lower() for m in _OTHER_SCHEMA_REFERENCE.findall(sql)}
        schema = dataset.get("schema")
        if not sql.strip() and schema != MARTS_SCHEMA:
            named.add(str(schema))
        return named

    def charts_of_dashboard(self, dashboard: dict[str, Any]) -> list[dict[str, Any]]:
        charts = self._by_uuid("charts")
        uuids = [
            str(node["meta"]["uuid"])
            for node in (dashboard.get("position") or {}).values()
            if isinstance(node, dict) and node.get("type") == "CHART"
        ]
        missing = [u for u in uuids if u not in charts]
        if missing:
            raise BiError(f"Dashboard {dashboard.get('dashboard_title')!r} places charts not in the bundle: {missing}")
        return [charts[u] for u in uuids]

    def marts_of_chart(self, chart: dict[str, Any]) -> set[str]:
        return self.marts_of_dataset(self._by_uuid("datasets")[str(chart["dataset_uuid"])])

    def marts_of_dashboard(self, dashboard: dict[str, Any]) -> set[str]:
        marts: set[str] = set()
        for chart in self.charts_of_dashboard(dashboard):
            marts |= self.marts_of_chart(chart)
        return marts

    # ------------------------------------------------------------------------ provisioning

    def without_missing_marts(self, existing: Iterable[str]) -> tuple[Bundle, dict[str, set[str]]]:
        """This bundle without what reads a mart not in ``existing``; and the dashboards so
        left out, by title, with the marts they wait for."""
        present = set(existing)
        waiting = {
            str(dashboard["dashboard_title"]): missing
            for dashboard in self.dashboards.values()
            if (missing := self.marts_of_dashboard(dashboard) - present)
        }
        keep = {}
        for path, text in self.texts.items():
            config = self.configs[path]
            if path.startswith("datasets/") and self.marts_of_dataset(config) - present:
                continue
            if path.startswith("charts/") and self.marts_of_chart(config) - present:
                continue
            if path.startswith("dashboards/") and str(config["dashboard_title"]) in waiting:
                continue
            keep[path] = text
        return Bundle.from_texts(keep), waiting

    def to_zip(self, database_uri: str) -> bytes:
        """The bundle as Superset imports it, every database pointed at ``database_uri``."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, text in sorted(self.texts.items()):
                if path.startswith("databases/"):
                    config = dict(self.configs[path], sqlalchemy_uri=database_uri)
                    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
                archive.writestr(f"{BUNDLE_ROOT}/{path}", text)
        return buffer.getvalue()


def normalise_export(export_zip: bytes) -> dict[str, str]:
    """Superset's export as the repo keeps it, so that a change made in Superset reads as a small
    diff: Vietnamese as Vietnamese (not \\u escapes), each stored query as indented JSON, file
    names from titles (no ids), the database URI a placeholder (it named this machine's
    warehouse), datasets bound to no catalog (the database name differs between warehouses), and
    no native filter pinned to chart ids (Superset works the charts in scope out from the scope,
    and ids change from one Superset to the next)."""
    files: dict[str, str] = {}
    with zipfile.ZipFile(io.BytesIO(export_zip)) as archive:
        for name in archive.namelist():
            if not name.endswith(".yaml"):
                continue
            kind = name.split("/")[1] if name.count("/") >= 2 else ""
            config = yaml.safe_load(archive.read(name))
            if kind == "databases":
                config["sqlalchemy_uri"] = PLACEHOLDER_URI
            elif kind == "datasets":
                config["catalog"] = None
            elif kind == "charts" and config.get("query_context"):
                config["query_context"] = json.dumps(json.loads(config["query_context"]), indent=2, ensure_ascii=False)
            elif kind == "dashboards":
                for native_filter in (config.get("metadata") or {}).get("native_filter_configuration", []):
                    native_filter.pop("chartsInScope", None)
            files[_repo_path(name, kind, config)] = _dump(config)
    files["metadata.yaml"] = "version: 1.0.0\ntype: assets\n"
    return files


def _repo_path(name: str, kind: str, config: dict[str, Any]) -> str:
    if kind == "dashboards":
        return f"dashboards/{_file_stem(str(config.get('slug') or config['dashboard_title']))}.yaml"
    if kind == "charts":
        return f"charts/{_file_stem(str(config['slice_name']).split(' / ')[0])}.yaml"
    if kind == "datasets":
        return f"datasets/{name.split('/')[2]}/{_file_stem(str(config['table_name']))}.yaml"
    return name.split("/", 1)[1]


def _file_stem(title: str) -> str:
    """``Giải ngân theo đơn vị`` → ``giai_ngan_theo_don_vi`` (at most 80 characters)."""
    ascii_text = unicodedata.normalize("NFKD", title.replace("đ", "d").replace("Đ", "D"))
    ascii_text = ascii_text.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:80].rstrip("_")


class _Dumper(yaml.SafeDumper):
    pass


def _literal_if_multiline(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _literal_if_multiline)


def _dump(config: dict[str, Any]) -> str:
    return yaml.dump(config, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)


def write_folder(files: dict[str, str], folder: Path = ASSETS_DIR) -> list[Path]:
    """Replace the YAML of ``folder`` with ``files``; returns the files written."""
    for old in folder.rglob("*.yaml") if folder.is_dir() else []:
        old.unlink()
    written = []
    for path, text in sorted(files.items()):
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    for empty in sorted((d for d in folder.rglob("*") if d.is_dir()), reverse=True):
        if not any(empty.iterdir()):
            empty.rmdir()
    return written
