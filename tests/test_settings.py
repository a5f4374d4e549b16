"""Every ``GNBV_*`` setting is named once, in gnbv/settings.py, with what it means."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gnbv import settings

ROOT = Path(__file__).resolve().parent.parent
NAME = re.compile(r"(?<![A-Za-z0-9_])GNBV_[A-Z0-9_]*[A-Z0-9]")


def _declared(name: str) -> bool:
    for setting in settings.SETTINGS:
        pattern = re.escape(setting.name).replace(re.escape("{code}"), "[A-Z0-9]+")
        if re.fullmatch(pattern, name) or setting.name.startswith(name + "_{"):
            return True
    return False


def test_each_setting_has_a_name_and_a_meaning_once() -> None:
    names = [s.name for s in settings.SETTINGS]
    assert len(names) == len(set(names))
    assert all(s.name.startswith("GNBV_") and len(s.meaning) > 10 for s in settings.SETTINGS)


def test_no_setting_is_read_that_is_not_declared() -> None:
    """A GNBV_* name in the shipped code (its docs included) is one of settings.SETTINGS."""
    code = [*ROOT.glob("gnbv/**/*.py"), *ROOT.glob("ingest/**/*.py"), *ROOT.glob("dags/*.py")]
    unknown = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in code
        for name in NAME.findall(path.read_text(encoding="utf-8"))
        if not _declared(name)
    }
    assert unknown == set()


def test_a_setting_reads_empty_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.INBOX.name, "  ")
    assert settings.INBOX.get("inbox") == "inbox"
    monkeypatch.setenv(settings.INBOX.name, " s3://bucket/inbox ")
    assert settings.INBOX.get("inbox") == "s3://bucket/inbox"
