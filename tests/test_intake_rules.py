"""Specific intake rules: local numbering, templates, and what a person sees at the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from gnbv.cli import main
from gnbv.reference import Reference
from ingest.intake import read_submission
from ingest.template import write_template
from tests.builders import bao_lac_workbook, one_row_workbook

SEPTEMBER_2023 = dt.date(2023, 9, 1)


@pytest.mark.parametrize(
    ("label", "component"),
    [
        ("Dự án 1", "DA2"),  # Bến Cầu's 2023 plan numbers livelihoods "Dự án 1"
        ("Dự án 1: Đa dạng hóa sinh kế, phát triển mô hình giảm nghèo", "DA2"),
        ("Tiểu dự án 1 thuộc Dự án 2", "DA3.TDA1"),
        ("Tiểu dự án 2 - Dự án 3", "DA4.TDA3"),  # its Dự án 3 TDA2 is "Hỗ trợ việc làm bền vững"
        ("Giám sát, đánh giá", "DA7.TDA2"),  # a name wins over any numbering
    ],
)
def test_ben_cau_local_numbering_maps_to_qd90_components(
    tmp_path: Path, reference: Reference, label: str, component: str
) -> None:
    workbook = one_row_workbook(
        tmp_path / "sample_711.xlsx",
        unit_line="Đơn vị báo cáo: UBND huyện Bến Cầu",
        period=SEPTEMBER_2023,
        label=label,
        plan_sn="100",
        disbursed_sn="40",
        amount_unit_line="ĐVT: đồng",
    )
    sub = read_submission(workbook, reference)
    assert sub.errors == []
    assert [(a.component_code, a.plan_amount_vnd) for a in sub.fund_amounts] == [(component, 100)]


def test_the_same_label_means_qd90_numbering_in_another_unit(tmp_path: Path, reference: Reference) -> None:
    workbook = bao_lac_workbook(
        tmp_path / "sample_043.xlsx",
        label="Tiểu dự án 1 thuộc Dự án 2",
        plan_sn="1",
    )
    sub = read_submission(workbook, reference)
    assert [p.code for p in sub.errors] == ["unknown_component"]  # QĐ 90's Dự án 2 has no sub-projects


def test_a_template_is_prefilled_with_the_plan_and_reads_back_to_it(tmp_path: Path, reference: Reference) -> None:
    template = write_template("711", SEPTEMBER_2023, tmp_path)
    sub = read_submission(template, reference)
    assert (sub.unit_code, sub.period_month, sub.errors) == ("711", SEPTEMBER_2023, [])
    read_back = {(a.component_code, a.funding_source_code): a.plan_amount_vnd for a in sub.fund_amounts}
    seed_plan = {(f.component_code, f.funding_source_code): f.amount_vnd for f in reference.plan_for("711", 2023)}
    assert read_back == seed_plan


def test_ingest_prints_a_line_per_file_and_exits_1_when_a_file_is_rejected(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not really a workbook")
    good = bao_lac_workbook(
        tmp_path / "sample_043.xlsx",
        plan_sn="12,5",
        disbursed_sn="2",
    )
    result = CliRunner().invoke(main, ["ingest", str(tmp_path), "--received-at", "2024-03-11T08:00"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(line.startswith("REJECTED  broken.xlsx") and "Không đọc được tệp" in line for line in lines)
    assert any(line.startswith(f"ACCEPTED  {good.name}") for line in lines)
    assert "Traceback" not in result.output
    assert "2 file(s): 1 accepted, 1 rejected, 0 unchanged" in lines
    assert lines[-2].startswith("Data Docs: ") and lines[-2].endswith("index.html")
    assert lines[-1].startswith("marts")  # what the marts are as of, against what raw holds now


def test_received_at_is_kept_in_vietnam_time(conn: psycopg.Connection, tmp_path: Path) -> None:
    one_row_workbook(
        tmp_path / "sample_043.xlsx",
        unit_line="Huyện Bảo Lạc",
        period=dt.date(2024, 3, 1),
        plan_sn="1",
    )
    CliRunner().invoke(main, ["ingest", str(tmp_path), "--received-at", "2024-03-12T23:30"])
    (received,) = conn.execute("select received_at at time zone 'Asia/Ho_Chi_Minh' from raw.submissions").fetchone()
    assert received == dt.datetime(2024, 3, 12, 23, 30)


def test_every_command_explains_itself() -> None:
    for command in ([], ["ingest"], ["template"], ["sample"], ["demo"], ["warehouse"], ["warehouse", "status"]):
        result = CliRunner().invoke(main, [*command, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output


def test_a_plan_that_differs_from_the_allocated_plan_is_a_warning_not_a_rejection(
    conn: psycopg.Connection, tmp_path: Path, reference: Reference
) -> None:
    from openpyxl import load_workbook

    template = write_template("711", SEPTEMBER_2023, tmp_path)
    first_amount = read_submission(template, reference).fund_amounts[0]
    workbook = load_workbook(template)
    plan_cell = workbook[first_amount.sheet][first_amount.plan_cell]
    plan_cell.value = plan_cell.value + 1  # one đồng more than Bến Cầu's 2023 plan allocates
    workbook.save(template)
    result = CliRunner().invoke(main, ["ingest", str(template), "--received-at", "2023-09-10T08:00"])
    assert result.exit_code == 0, result.output
    assert "ACCEPTED" in result.output and "1 warning(s)" in result.output
    (check, cell) = conn.execute("select check_code, cell from raw.submission_problems").fetchone()
    assert (check, cell) == ("plan_differs_from_reference", plan_cell.coordinate)


def test_validate_is_a_dry_run_that_explains_each_problem_and_loads_nothing(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    bad = bao_lac_workbook(
        tmp_path / "sample_043.xlsx",
        plan_sn="10",
        disbursed_sn="12",
    )
    result = CliRunner().invoke(main, ["validate", str(bad), "--received-at", "2024-03-11T08:00"])
    assert result.exit_code == 1
    assert "WOULD BE REJECTED" in result.output
    assert "[disbursed_above_plan] trang/ô (sheet/cell) Giải ngân!F7" in result.output
    # in the form's unit, as the officer typed it, with đồng beside it
    assert "Giải ngân lũy kế 12 triệu đồng (12.000.000 đồng) vượt kế hoạch vốn 10 triệu đồng (10.000.000 đồng)" in (
        result.output
    )
    assert "Cách sửa:" in result.output and "To fix:" in result.output
    assert conn.execute("select count(*) from raw.submissions").fetchone() == (0,)


def test_ingest_writes_a_report_for_the_sender_of_a_rejected_file(conn: psycopg.Connection, tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    bao_lac_workbook(
        tmp_path / "inbox" / "sample_043.xlsx",
        plan_sn="-1",
    )
    result = CliRunner().invoke(
        main,
        ["ingest", str(tmp_path / "inbox"), "--received-at", "2024-03-11T08:00", "--reports", str(tmp_path / "out")],
    )
    (report,) = (tmp_path / "out").iterdir()
    text = report.read_text(encoding="utf-8")
    assert result.exit_code == 1
    assert text.startswith("BÁO CÁO BỊ TỪ CHỐI — SUBMISSION REJECTED")
    assert (
        "[negative_amount] trang/ô (sheet/cell) Giải ngân!D7 — giá trị (value): -1 triệu đồng (-1.000.000 đồng)" in text
    )
    assert "Nothing from this file was loaded." in text


@pytest.mark.parametrize(
    ("unit_line", "plan", "disbursed", "said"),
    [
        (
            "Đơn vị tính: triệu đồng",
            "1.250,5",
            "1.300,25",
            "Giải ngân lũy kế 1.300,25 triệu đồng (1.300.250.000 đồng) vượt kế hoạch vốn 1.250,5 triệu đồng"
            " (1.250.500.000 đồng)",
        ),
        (
            "Đơn vị tính: nghìn đồng",
            "9.000",
            "9.500,5",
            "Giải ngân lũy kế 9.500,5 nghìn đồng (9.500.500 đồng) vượt kế hoạch vốn 9.000 nghìn đồng (9.000.000 đồng)",
        ),
        (
            "ĐVT: đồng",
            "700",
            "800",
            "Giải ngân lũy kế 800 đồng vượt kế hoạch vốn 700 đồng",
        ),
    ],
)
def test_a_rejection_shows_amounts_as_typed_in_the_forms_unit_with_dong_beside(
    tmp_path: Path, reference: Reference, unit_line: str, plan: str, disbursed: str, said: str
) -> None:
    from ingest.gate import dry_run, gate

    workbook = bao_lac_workbook(
        tmp_path / "sample_043.xlsx",
        plan_sn=plan,
        disbursed_sn=disbursed,
        amount_unit_line=unit_line,
    )
    sub = read_submission(workbook, reference)
    with dry_run():
        gate([sub], reference, received_on={sub.file_sha256: dt.date(2024, 3, 11)}, reported={})
    (found,) = sub.errors
    assert found.code == "disbursed_above_plan"
    assert found.message_vi.startswith(said), found.message_vi
