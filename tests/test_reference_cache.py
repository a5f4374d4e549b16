"""The reference's pickled copy (gnbv.reference_cache): each process after the first loads what
an earlier one built, never a copy built from other seeds or other code, and a cache that cannot
be used is only a slower start."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from gnbv.reference import SEEDS_DIR, Reference, read_reference
from gnbv.reference_cache import cached_build


class Builds:
    """A build that counts its calls and returns what the seeds say."""

    def __init__(self, seeds: Path) -> None:
        self.seeds, self.calls = seeds, 0

    def __call__(self) -> dict[str, str]:
        self.calls += 1
        return {path.name: path.read_text() for path in sorted(self.seeds.glob("*.csv"))}


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "ref_units.csv").write_text("unit_code\n001\n")
    return folder


@pytest.fixture
def code(tmp_path: Path) -> Path:
    path = tmp_path / "builder.py"
    path.write_text("VERSION = 1\n")
    return path


def test_a_second_process_loads_the_copy_the_first_one_built(seeds: Path, code: Path, tmp_path: Path) -> None:
    build = Builds(seeds)
    first = cached_build(build, dict, seeds, [code], tmp_path / "cache")
    again = cached_build(build, dict, seeds, [code], tmp_path / "cache")
    assert build.calls == 1
    assert again == first == {"ref_units.csv": "unit_code\n001\n"}


def test_a_changed_seed_is_read_again_and_the_old_copy_goes(seeds: Path, code: Path, tmp_path: Path) -> None:
    build, cache = Builds(seeds), tmp_path / "cache"
    cached_build(build, dict, seeds, [code], cache)
    (seeds / "ref_units.csv").write_text("unit_code\n002\n")
    changed = cached_build(build, dict, seeds, [code], cache)
    assert build.calls == 2
    assert changed == {"ref_units.csv": "unit_code\n002\n"}
    assert len(list(cache.glob("reference-*.pickle"))) == 1


def test_a_new_seed_file_is_read_again(seeds: Path, code: Path, tmp_path: Path) -> None:
    build = Builds(seeds)
    cached_build(build, dict, seeds, [code], tmp_path / "cache")
    (seeds / "ref_aliases.csv").write_text("alias\n")
    assert "ref_aliases.csv" in cached_build(build, dict, seeds, [code], tmp_path / "cache")
    assert build.calls == 2


def test_changed_code_builds_again(seeds: Path, code: Path, tmp_path: Path) -> None:
    build = Builds(seeds)
    cached_build(build, dict, seeds, [code], tmp_path / "cache")
    code.write_text("VERSION = 2\n")
    cached_build(build, dict, seeds, [code], tmp_path / "cache")
    assert build.calls == 2


def test_an_unwritable_or_missing_cache_only_costs_the_build(seeds: Path, code: Path, tmp_path: Path) -> None:
    build = Builds(seeds)
    not_a_folder = tmp_path / "a_file"
    not_a_folder.write_text("")
    assert cached_build(build, dict, seeds, [code], not_a_folder) == build()
    assert cached_build(build, dict, seeds, [code], None) == build()


def test_a_damaged_or_foreign_copy_is_built_again(seeds: Path, code: Path, tmp_path: Path) -> None:
    build, cache = Builds(seeds), tmp_path / "cache"
    cached_build(build, dict, seeds, [code], cache)
    (copy,) = cache.glob("reference-*.pickle")
    copy.write_bytes(b"\x80\x05 half a pickle")
    assert cached_build(build, dict, seeds, [code], cache) == build()
    copy.write_bytes(pickle.dumps(["not", "a", "dict"]))
    assert cached_build(build, dict, seeds, [code], cache) == build()


def test_the_reference_survives_its_copy_whole() -> None:
    read = read_reference(SEEDS_DIR)
    copy = pickle.loads(pickle.dumps(read, protocol=pickle.HIGHEST_PROTOCOL))
    assert isinstance(copy, Reference)
    assert copy == read
    unit = next(u for u in read.units if read.successor_units(u))
    assert copy.successor_units(unit) == read.successor_units(unit)
    assert copy.correction_phrases.markers == read.correction_phrases.markers
    note = f"{read.correction_phrases.markers[0]} số liệu tháng trước"
    assert copy.correction_phrases.marks_correction(note) == read.correction_phrases.marks_correction(note)


def test_a_value_the_register_repeats_is_held_once_in_the_reference_and_its_copy() -> None:
    """Every process holds the reference: 14,000 unit versions naming a few unit types, parents
    and days share one object for each, and so do the copies loaded from the cache."""
    read = read_reference(SEEDS_DIR)
    for reference in (read, pickle.loads(pickle.dumps(read, protocol=pickle.HIGHEST_PROTOCOL))):
        for field in ("unit_type", "unit_level", "parent_unit_code", "valid_from", "valid_to"):
            values = [getattr(unit, field) for unit in reference.units]
            assert len({id(value) for value in values}) == len(set(values)), field
