"""Project settings: where the project lives, where local state goes, which database to use.

Kept dependency-light on purpose: importing this module only touches the standard
library. The embedded warehouse is imported (and started) only when
:func:`database_url` actually needs it.

Environment variables
---------------------
``GNBV_HOME``
    Project root. Default: the nearest folder, upwards from the current directory
    (then from this package's location), holding the project's ``pyproject.toml``.
``GNBV_DATABASE_URL``
    Any PostgreSQL URL (``postgresql://user:pw@host:5432/db``). When unset or empty,
    the embedded warehouse under ``<root>/.gnbv/warehouse`` is used (and started
    if needed).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

PROJECT_NAME = "gnbv-warehouse"
ENV_HOME = "GNBV_HOME"
ENV_DATABASE_URL = "GNBV_DATABASE_URL"
STATE_DIR_NAME = ".gnbv"


class SettingsError(Exception):
    """A configuration problem; the message says what to do."""


def _is_project_root(folder: Path) -> bool:
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        return False
    if (folder / "gnbv" / "__init__.py").is_file():
        return True
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False
    project = data.get("project")
    return isinstance(project, dict) and project.get("name") == PROJECT_NAME


def _search_upwards(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if _is_project_root(folder):
            return folder
    return None


def project_root() -> Path:
    """The project root: ``$GNBV_HOME`` if set, else the folder holding pyproject.toml."""
    home = os.environ.get(ENV_HOME, "").strip()
    if home:
        root = Path(home).expanduser()
        if not root.is_dir():
            raise SettingsError(f"{ENV_HOME}={home!r} is not an existing folder: create it or unset {ENV_HOME}.")
        return root.resolve()
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        found = _search_upwards(start.resolve())
        if found is not None:
            return found
    raise SettingsError(
        f"Could not find the gnbv project (a folder with pyproject.toml) above {Path.cwd()}: "
        f"run from inside the project or set {ENV_HOME}=/path/to/project."
    )


def state_dir(root: Path | None = None) -> Path:
    """The project-local state folder ``<root>/.gnbv/`` (created if missing)."""
    folder = (root or project_root()) / STATE_DIR_NAME
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def external_database_url() -> str | None:
    """``$GNBV_DATABASE_URL`` if set and non-empty, else None."""
    value = os.environ.get(ENV_DATABASE_URL, "").strip()
    return value or None


def database_url() -> str:
    """The warehouse URL in force: ``$GNBV_DATABASE_URL``, or the embedded server's
    URL (starting the embedded server if it is not running)."""
    external = external_database_url()
    if external is not None:
        return external
    from gnbv import warehouse  # local import: keep this module light

    return warehouse.start()


@dataclass(frozen=True)
class Settings:
    """Snapshot of the resolved settings (no side effects besides creating ``.gnbv/``)."""

    root: Path
    state_dir: Path
    external_database_url: str | None

    @property
    def uses_embedded_warehouse(self) -> bool:
        return self.external_database_url is None

    @classmethod
    def load(cls) -> Settings:
        root = project_root()
        return cls(
            root=root,
            state_dir=state_dir(root),
            external_database_url=external_database_url(),
        )
