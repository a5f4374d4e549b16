"""Specification of the administrative-unit reference across the reform of 1 July 2025.

A unit is its code *and* its validity: the reform reused codes (province 82 was Tiền Giang and is
the new Đồng Tháp; 80 was Long An and is the new Tây Ninh; commune 01273 was Phường Hợp Giang and
is Phường Thục Phán), so every lookup takes a date and never mixes two units. The seeds are built
by ``scripts/build_admin_units_seed.py`` from the public registers; these tests read the
committed seeds (``gnbv.reference``) and, where the registers are reachable, rebuild them.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import itertools
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from gnbv.reference import SEEDS_DIR, Reference
from ingest.labels import UnitResolver

ROOT = Path(__file__).resolve().parent.parent
BEFORE = dt.date(2024, 3, 1)  # a 2024 reporting month
EVE = dt.date(2025, 6, 30)  # the last day of the three-tier register
REFORM = dt.date(2025, 7, 1)
AFTER = dt.date(2026, 3, 1)  # a 2026 reporting month


def _build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_admin_units_seed", ROOT / "scripts/build_admin_units_seed.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _mapping_rows() -> list[dict[str, str]]:
    with (SEEDS_DIR / "ref_admin_unit_reform_mapping.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --------------------------------------------------------------------------- the register


def test_the_register_from_the_reform_has_34_provinces_and_3321_communes(reference: Reference) -> None:
    after = Counter(u.unit_level for u in reference.units_on(REFORM))
    assert after == {"province": 34, "commune": 3321}  # no district level
    assert Counter(u.unit_type for u in reference.units_on(REFORM, "commune")) == {
        "Xã": 2621,
        "Phường": 687,
        "Đặc khu": 13,
    }
    assert all(u.parent_unit_code and len(u.parent_unit_code) == 2 for u in reference.units_on(REFORM, "commune"))
    assert len(reference.communes_of("04", AFTER)) == 56  # Cao Bằng
    assert len(reference.communes_of("46", AFTER)) == 40  # Huế


def test_the_register_before_the_reform_ends_the_day_before(reference: Reference) -> None:
    assert Counter(u.unit_level for u in reference.units_on(EVE)) == {
        "province": 63,
        "district": 696,
        "commune": 10047,
    }
    assert reference.districts_of("04", AFTER) == []
    assert [u.unit_code for u in reference.districts_of("04", EVE)][:3] == ["040", "042", "043"]


@pytest.mark.parametrize(
    ("code", "before", "after"),
    [
        ("82", ("Tỉnh Tiền Giang", None), ("Tỉnh Đồng Tháp", None)),
        ("80", ("Tỉnh Long An", None), ("Tỉnh Tây Ninh", None)),
        ("01273", ("Phường Hợp Giang", "040"), ("Phường Thục Phán", "04")),
        ("87", ("Tỉnh Đồng Tháp", None), None),  # old Đồng Tháp: no unit has the code after
        ("72", ("Tỉnh Tây Ninh", None), None),  # old Tây Ninh
    ],
)
def test_a_reused_code_names_one_unit_on_each_side_of_the_reform(
    reference: Reference, code: str, before: tuple[str, str | None], after: tuple[str, str | None] | None
) -> None:
    then, now = reference.unit(code, BEFORE), reference.unit(code, AFTER)
    assert then is not None and (then.unit_name, then.parent_unit_code) == before
    assert then.valid_to == EVE
    assert (now.unit_name, now.parent_unit_code) == after if now else after is None
    if now is not None:
        assert now.valid_from == REFORM and now is not then
    assert reference.unit(code, EVE) is then
    assert reference.unit(code, REFORM) is now


def test_no_two_versions_of_a_code_overlap(reference: Reference) -> None:
    versions: dict[str, list[tuple[dt.date, dt.date | None]]] = {}
    for unit in reference.units:
        versions.setdefault(unit.unit_code, []).append((unit.valid_from, unit.valid_to))
    for code, spans in versions.items():
        spans.sort()
        for (_, end), (next_start, _) in itertools.pairwise(spans):
            assert end is not None and end < next_start, (code, spans)
    assert len(reference.unit_versions("82")) == 2


@pytest.mark.parametrize("code", ["04", "46"])
def test_a_province_the_reform_left_as_it_was_keeps_one_version(reference: Reference, code: str) -> None:
    """Cao Bằng and Huế were merged with no other province: same code, name, type and territory,
    so the version in force before the reform goes on (Huế's is its 2025-01-01 version)."""
    assert reference.unit(code, EVE) is reference.unit(code, AFTER)
    (link,) = reference.reform.successors(reference.unit(code, AFTER))
    assert (link.link, link.new) == ("continues", reference.unit(code, AFTER))


def test_hue_2024_units_are_still_those_of_its_appendix(reference: Reference) -> None:
    assert reference.unit("46", BEFORE).unit_name == "Tỉnh Thừa Thiên Huế"
    assert [(u.unit_code, u.unit_name) for u in reference.districts_of("46", BEFORE)] == [
        ("474", "Thành phố Huế"),
        ("476", "Huyện Phong Điền"),
        ("477", "Huyện Quảng Điền"),
        ("478", "Huyện Phú Vang"),
        ("479", "Thị xã Hương Thủy"),
        ("480", "Thị xã Hương Trà"),
        ("481", "Huyện A Lưới"),
        ("482", "Huyện Phú Lộc"),
        ("483", "Huyện Nam Đông"),
    ]
    assert reference.unit("474", dt.date(2025, 3, 1)).unit_name == "Quận Thuận Hóa"
    assert reference.unit("474", AFTER) is None


# --------------------------------------------------------------------------- the mapping


def test_every_old_province_maps_to_exactly_one_current_province(reference: Reference) -> None:
    current: dict[str, set[str]] = {}
    for province in reference.units_on(EVE, "province"):
        links = [link for link in reference.reform.successors(province) if link.reform_date == REFORM]
        assert len(links) == 1, province
        assert links[0].new is not None and links[0].new.valid_to is None
        current.setdefault(links[0].new.unit_code, set()).add(province.unit_code)
    assert len(current) == 34
    assert current["82"] == {"82", "87"}  # Tiền Giang and old Đồng Tháp: the new Đồng Tháp
    assert current["80"] == {"72", "80"}  # old Tây Ninh and Long An: the new Tây Ninh
    assert current["04"] == {"04"} and current["46"] == {"46"}
    assert sum(len(olds) for olds in current.values()) == 63


def test_the_commune_mapping_is_incomplete_and_says_so() -> None:
    """The commune evidence (name-matched) reaches 9,956 of the 10,047 communes of the register
    and 3,304 of the 3,321 new ones; the others are listed as ``unmatched``, never dropped."""
    rows = [r for r in _mapping_rows() if r["reform_date"] == REFORM.isoformat()]
    communes = [r for r in rows if "commune" in (r["old_unit_level"], r["new_unit_level"])]
    matched = [r for r in communes if r["link"] != "unmatched"]
    assert Counter(r["link"] for r in communes) == {"whole": 9490, "partial": 1027, "unmatched": 108}
    assert len({r["old_unit_code"] for r in matched if r["old_unit_level"] == "commune"}) == 9956
    assert len({r["new_unit_code"] for r in matched}) == 3304
    # five island districts without communes became đặc khu (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo)
    assert sorted(r["old_unit_code"] for r in matched if r["old_unit_level"] == "district") == [
        "318",
        "471",
        "498",
        "536",
        "755",
    ]
    unmatched_old = [r for r in communes if r["link"] == "unmatched" and r["old_unit_code"]]
    unmatched_new = [r for r in communes if r["link"] == "unmatched" and r["new_unit_code"]]
    assert (len(unmatched_old), len(unmatched_new)) == (91, 17)
    assert all(not r["new_unit_code"] for r in unmatched_old) and all(not r["old_unit_code"] for r in unmatched_new)
    assert 9956 + 91 == 10047 and 3304 + 17 == 3321


def test_a_reused_commune_code_is_linked_by_version(reference: Reference) -> None:
    old, new = reference.unit("01273", BEFORE), reference.unit("01273", AFTER)
    assert [(link.new, link.link) for link in reference.reform.successors(old)] == [(new, "whole")]
    # Phường Thục Phán was made of five units of the old Thành phố Cao Bằng (040) and Hòa An (051)
    assert sorted(
        (link.old.unit_code, link.old.unit_name) for link in reference.reform.predecessors(new) if link.old
    ) == [
        ("01267", "Phường Sông Hiến"),
        ("01273", "Phường Hợp Giang"),
        ("01282", "Phường Đề Thám"),
        ("01696", "Xã Hoàng Tung"),
        ("01705", "Xã Hưng Đạo"),
    ]


# --------------------------------------------------------------------------- intake's names


def test_an_alias_names_a_unit_only_while_it_means_it(reference: Reference) -> None:
    """'TP Huế' was the district-level city 474 in 2024; from 2025-01-01 the code 474 is Quận
    Thuận Hóa and 'Thành phố Huế' is the province: a 2025 'UBND TP Huế' is not Thuận Hóa."""
    resolver = UnitResolver(reference)
    title = "Đơn vị báo cáo: UBND TP Huế"
    assert resolver.resolve(title, BEFORE, "46").unit == reference.unit("474", BEFORE)
    assert resolver.resolve(title, dt.date(2025, 3, 1), "46").unit is None


# --------------------------------------------------------------------------- the build


def test_the_seeds_are_what_the_script_builds() -> None:
    build = _build_script()
    sources = build.Sources()
    # the registers ship beside the project (../shared/reference/): without them this checks nothing
    assert not sources.missing(), f"registers not reachable: {sources.missing()} (GNBV_GSO_REGISTER, ...)"
    for name, text in build.build(sources).items():
        assert (SEEDS_DIR / name).read_text(encoding="utf-8") == text, f"{name} is stale: run the script"
    assert build.main(["--check"]) == 0


# --- who reports, and matching a name by its type and period ---------------------------------


def test_the_reporting_units_are_the_districts_then_the_communes(reference: Reference) -> None:
    """Until 2025-06-30 a province's districts report; from 2025-07-01 its communes (two tiers)."""
    before = reference.reporting_units("04", BEFORE)
    after = reference.reporting_units("04", AFTER)
    assert [u.unit_code for u in before] == ["040", "042", "043", "045", "047", "048", "049", "051", "052", "053"]
    assert len(after) == 56 and {u.unit_level for u in after} == {"commune"}
    assert {u.parent_unit_code for u in after} == {"04"}
    # a reused province code: Tiền Giang's districts in 2024, the new Đồng Tháp's communes in 2026
    assert {u.unit_level for u in reference.reporting_units("82", BEFORE)} == {"district"}
    assert "Phường Mỹ Tho" in {u.unit_name for u in reference.reporting_units("82", AFTER)}


def test_where_a_province_allocates_to_communes_only_those_report(reference: Reference) -> None:
    import dataclasses
    from decimal import Decimal

    from gnbv.reference import PlanFigure

    allocation = [
        PlanFigure("test", "04", code, 2026, "plan", 2025, "DA5", "NSTW_SN", Decimal(1_000_000), True)
        for code in ("01290", "01321")
    ]
    allocated = dataclasses.replace(reference, plan_figures=(*reference.plan_figures, *allocation))
    assert [u.unit_code for u in allocated.reporting_units("04", AFTER)] == ["01290", "01321"]
    assert len(allocated.reporting_units("04", dt.date(2027, 3, 1))) == 56  # another year's: not narrowed
    assert len(allocated.reporting_units("04", BEFORE)) == 10  # districts: never narrowed by communes


def test_an_allocation_to_a_reused_codes_former_unit_narrows_nothing(reference: Reference) -> None:
    """01273 was Phường Hợp Giang until 2025-06-30 and is Phường Thục Phán from 2025-07-01. A
    2025 allocation to Hợp Giang holds over its days (valid_to 2025-06-30): in August 2025 every
    Cao Bằng commune still reports, not Thục Phán alone; the plan of the code is Hợp Giang's only
    on Hợp Giang's days."""
    import dataclasses
    from decimal import Decimal

    from gnbv.reference import PlanFigure

    hop_giang = PlanFigure(
        "test", "04", "01273", 2025, "plan", 2025, "DA5", "NSTW_SN", Decimal(1_000_000), True,
        valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 6, 30),
    )  # fmt: skip
    allocated = dataclasses.replace(reference, plan_figures=(*reference.plan_figures, hop_giang))
    assert len(allocated.reporting_units("04", dt.date(2025, 8, 12))) == 56
    assert allocated.plan_for("01273", 2025, dt.date(2025, 3, 1)) == [hop_giang]
    assert allocated.plan_for("01273", 2025, dt.date(2025, 8, 1)) == []


def test_reference_rows_keep_inside_one_version_of_their_code(reference: Reference) -> None:
    """Every lead agency and plan figure holds over days on which its code names one unit: none
    straddles the reform of a reused code (82, 80, 01273...), so none mixes two units."""

    def one_version(code: str, first: dt.date, last: dt.date | None) -> bool:
        return any(
            u.valid_from <= first and (u.valid_to is None or (last is not None and last <= u.valid_to))
            for u in reference.unit_versions(code)
        )

    for agency in reference.lead_agencies:
        assert one_version(agency.province_code, agency.valid_from, agency.valid_to), agency
    for figure in reference.plan_figures:
        assert figure.valid_from is not None and figure.valid_to is not None, figure
        assert one_version(figure.unit_code, figure.valid_from, figure.valid_to), figure
        assert one_version(figure.province_code, figure.valid_from, figure.valid_to), figure


@pytest.mark.parametrize(
    ("text", "period", "code"),
    [
        ("Đơn vị báo cáo: UBND huyện Bảo Lạc", BEFORE, "043"),  # 2024 exactly as before
        ("Đơn vị báo cáo: UBND xã Bảo Lâm", AFTER, "01290"),  # the commune, not the old district 042
        ("Đơn vị báo cáo: UBND xã Bảo Lâm", BEFORE, None),  # no commune reported in 2024
        ("Đơn vị báo cáo: 01290", AFTER, "01290"),
        ("UBND TP Cao Bằng", BEFORE, "040"),
        ("Đơn vị báo cáo: UBND phường Thục Phán", AFTER, "01273"),
        ("Đơn vị báo cáo: UBND huyện Bảo Lạc", AFTER, None),  # abolished on 2025-07-01
    ],
)
def test_a_name_matches_by_its_unit_type_and_the_period(
    reference: Reference, text: str, period: dt.date, code: str | None
) -> None:
    match = UnitResolver(reference).resolve(text, period, "04")
    assert (match.unit.unit_code if match.unit else None) == code


def test_a_district_named_after_the_reform_is_known_to_have_ended(reference: Reference) -> None:
    match = UnitResolver(reference).resolve("Đơn vị báo cáo: UBND huyện Bảo Lạc", AFTER, "04")
    assert match.unit is None and match.retired is not None
    assert (match.retired.unit_code, match.retired.valid_to) == ("043", EVE)
    assert [u.unit_name for u in reference.successor_units(match.retired)] == [
        "Xã Bảo Lạc",
        "Xã Cốc Pàng",
        "Xã Cô Ba",
        "Xã Khánh Xuân",
        "Xã Xuân Trường",
        "Xã Hưng Đạo",
        "Xã Huy Giáp",
        "Xã Sơn Lộ",
    ]
    # also without the province given (no inbox folder): the name and the period decide
    assert UnitResolver(reference).resolve("UBND huyện Bảo Lạc, tỉnh Cao Bằng", AFTER).retired is not None
