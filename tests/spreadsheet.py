"""A real spreadsheet program for the tests: LibreOffice headless recalculates a workbook.

``recalculate(path)`` opens the file in LibreOffice Calc with "recalculate on load: always"
(a private profile, so parallel test workers never share one), lets it compute every formula
again and saves the result as .xlsx beside a temporary folder. ``formula_cells`` reads what a
workbook stores for each formula cell, ``values`` what any reader sees. No test skips when
LibreOffice is missing: it fails and says how to install it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

INSTALL_HINT = "LibreOffice is needed to check workbooks: apt-get install libreoffice-calc (Debian)"
# Calc's setting "Recalculation on file load" for OOXML files: 0 = always (1 never, 2 ask).
_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        raise AssertionError(INSTALL_HINT)
    return found


def convert(path: Path, out_dir: Path, target: str = "xlsx") -> Path:
    """``path`` opened in LibreOffice (recalculating every formula) and saved as ``target``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gnbv-lo-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_PROFILE, encoding="utf-8")
        result = subprocess.run(
            [
                soffice(),
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                target,
                "--outdir",
                str(out_dir),
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
    converted = out_dir / f"{path.stem}.{target.split(':')[0]}"
    if result.returncode != 0 or not converted.exists():
        raise AssertionError(f"LibreOffice could not convert {path.name}: {result.stdout}\n{result.stderr}")
    return converted


def recalculate(path: Path, out_dir: Path) -> Path:
    return convert(path, out_dir, "xlsx")


def formula_cells(path: Path) -> dict[str, dict[str, str]]:
    """Sheet → cell → formula text, for every formula cell of the workbook."""
    book = load_workbook(path)
    return {
        ws.title: {c.coordinate: str(c.value) for row in ws.iter_rows() for c in row if c.data_type == "f"}
        for ws in book.worksheets
    }


def values(path: Path) -> dict[str, dict[str, Any]]:
    """Sheet → cell → the value a reader sees (the stored result for a formula), numbers as
    Decimal of the digits stored (``repr`` of the double is its shortest exact text)."""
    book = load_workbook(path, data_only=True)
    out: dict[str, dict[str, Any]] = {}
    for ws in book.worksheets:
        sheet: dict[str, Any] = {}
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                if isinstance(v, bool):
                    sheet[c.coordinate] = v
                elif isinstance(v, int | float):
                    sheet[c.coordinate] = Decimal(repr(v))
                elif v is not None:
                    sheet[c.coordinate] = v
        out[ws.title] = sheet
    return out


def to_vnd(trieu: Decimal) -> Decimal:
    """A figure in triệu đồng as đồng, to the đồng (what 'equal to the đồng' compares)."""
    return (trieu * 1_000_000).quantize(Decimal(1))
