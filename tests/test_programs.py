"""Programs as data, by phase: a submission is read against the catalog in force for its capital.

QĐ 90's catalog (2021–2025, ref_components.csv) and the 2026–2035 program's
(ref_components_2026_2035.csv, PROVISIONAL: its final structure is not in our sources) are
reference data with validity (ref_programs.csv). Capital of 2021–2025 carried over into a 2026
report stays with its QĐ 90 component; 2026 capital is read against the new catalog. A new
catalog file replaces the provisional one without a code change.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from pathlib import Path

from gnbv.reference import SEEDS_DIR, load_reference
from ingest.intake import read_submission
from ingest.labels import resolvers_for

ROOT = Path(__file__).resolve().parent.parent
CSV_HEADER = "period,unit_code,component,funding_source,capital_year,plan_amount,disbursed_cumulative,amount_unit\n"


def commune_csv(path: Path, rows: list[str]) -> Path:
    """A SYNTHETIC 2026 CSV report of Phường Thục Phán (01273, Cao Bằng), amounts in triệu đồng."""
    path.write_text(CSV_HEADER + "".join(f"2026-03,01273,{r},trieu_dong\n" for r in rows), encoding="utf-8")
    return path


def test_each_capital_year_has_its_program() -> None:
    ref = load_reference()
    assert ref.program_of_capital(2021).program_code == "QD90_2021_2025"  # type: ignore[union-attr]
    assert ref.program_of_capital(2025).program_code == "QD90_2021_2025"  # type: ignore[union-attr]
    assert ref.program_of_capital(2026).program_code == "MTQG_2026_2035"  # type: ignore[union-attr]
    assert ref.program_of_capital(2020) is None
    assert ref.first_capital_year() == 2021  # what bounds capital vintages from below


def test_the_new_programs_catalog_is_named_provisional_and_says_what_it_rests_on() -> None:
    ref = load_reference()
    program = ref.program_of_capital(2026)
    assert program is not None and program.catalog_status == "provisional"
    assert "257/2025/QH15" in program.source and "417/QĐ-BNNMT" in program.source
    new = ref.components_of("MTQG_2026_2035").values()
    assert new and all(c.name_vi.startswith("(Tạm)") and c.name_en.startswith("(Provisional)") for c in new)
    assert len(ref.components_of("QD90_2021_2025")) == 18  # QĐ 90's catalog unchanged


def test_carried_over_capital_keeps_its_qd90_component_in_a_2026_report(tmp_path: Path) -> None:
    sub = read_submission(
        commune_csv(
            tmp_path / "sample_01273_2026-03.csv",
            ["DA1.TDA1,NSTW_DTPT,2025,100,40", "Giảm nghèo bền vững,NSTW_SN,2026,200,10"],
        ),
        load_reference(),
    )
    assert sub.problems == []
    assert [(f.capital_year, f.component_code) for f in sub.fund_amounts] == [(2025, "DA1.TDA1"), (2026, "CT26.GNBV")]


def test_2026_capital_under_a_qd90_project_is_refused_with_the_reason(tmp_path: Path) -> None:
    sub = read_submission(commune_csv(tmp_path / "sample_bad.csv", ["DA2,NSTW_SN,2026,50,5"]), load_reference())
    assert [p.code for p in sub.problems] == ["component_not_in_program"]
    assert "2026" in sub.problems[0].message_vi and "QĐ 90" in sub.problems[0].hint_vi


def test_labels_are_read_against_the_catalog_of_the_rows_capital() -> None:
    resolvers = resolvers_for(load_reference())
    assert resolvers.components_for_capital(2024).resolve("Tiểu dự án 1 - Dự án 3") == "DA3.TDA1"
    assert resolvers.components_for_capital(2025).resolve("Dự án 2") == "DA2"
    assert resolvers.components_for_capital(2026).resolve("Dự án 2") is None  # QĐ 90's numbering ends with 2025
    assert resolvers.components_for_capital(2026).resolve("Nông thôn mới") == "CT26.NTM"


def test_a_new_catalog_file_replaces_the_provisional_one_without_a_code_change(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, folder)
    with (folder / "ref_components_2026_2035.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["component_code", "project_code", "subproject_no", "component_level", "is_leaf", "name_vi", "name_en",
             "sort_order", "program_code", "catalog_status", "source"]
        )  # fmt: skip
        writer.writerow(
            ["X26.HT", "X26.HT", "", "project", "true", "Hạ tầng thiết yếu vùng khó khăn",
             "Essential infrastructure", "200", "MTQG_2026_2035", "official", "a final catalog (test)"]
        )  # fmt: skip
    ref = load_reference(folder)
    sub = read_submission(
        commune_csv(tmp_path / "sample.csv", ["Hạ tầng thiết yếu vùng khó khăn,NSTW_DTPT,2026,300,30"]), ref
    )
    assert sub.problems == []
    assert [(f.capital_year, f.component_code) for f in sub.fund_amounts] == [(2026, "X26.HT")]
    old = read_submission(commune_csv(tmp_path / "old.csv", ["Giảm nghèo bền vững,NSTW_SN,2026,1,1"]), ref)
    assert [p.code for p in old.problems] == ["unknown_component"]


def test_no_code_names_a_component_of_the_2026_catalog() -> None:
    """dbt and Python read the catalogs from the seeds only: neither the models, the macros nor
    the Python code mention a code of the provisional catalog, so replacing the file is enough
    (dbt seed reloads it; stg_reference__components unions the catalogs)."""
    codes = {c for c in load_reference().components_of("MTQG_2026_2035")}
    pattern = re.compile("|".join(re.escape(code) for code in codes))
    code_files = [
        *ROOT.glob("dbt_project/models/**/*.sql"),
        *ROOT.glob("dbt_project/macros/*.sql"),
        *ROOT.glob("gnbv/**/*.py"),
        *ROOT.glob("ingest/*.py"),
        *ROOT.glob("dags/*.py"),
    ]
    assert [str(p) for p in code_files if pattern.search(p.read_text(encoding="utf-8"))] == []


def test_templates_list_the_catalog_of_their_years_capital() -> None:
    ref = load_reference()
    assert {c.program_code for c in ref.catalog_for_year(2024)} == {"QD90_2021_2025"}
    assert {c.program_code for c in ref.catalog_for_year(2026)} == {"MTQG_2026_2035"}
    assert dt.date(2026, 1, 1) == ref.program_of_capital(2026).valid_from  # type: ignore[union-attr]
