"""Great Expectations Data Docs on a closed network: every page loads its styles and scripts
from the site itself, names the files it validated, and a dry run (``gnbv validate``) writes
none. Real GX validations of SYNTHETIC sample reports, in a copy of the project's GX folder;
the pages are opened in headless Chromium with the network cut off.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import ingest.gate
from gnbv.dev.chromium import dump_dom
from gnbv.dev.samples.province import write_sample_inbox
from gnbv.offline_html import remote_references
from gnbv.reference import Reference
from ingest.intake import LOCAL_TZ, validate_paths
from ingest.read_file import read_submission

CHROMIUM = "/usr/bin/chromium"
RECEIVED = dt.datetime(2024, 3, 11, 9, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def gx_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the project's GX folder, without anything a run wrote, as the gates' home."""
    root = tmp_path / "expectations"
    shutil.copytree(ingest.gate.EXPECTATIONS_DIR, root, ignore=shutil.ignore_patterns("uncommitted"))
    monkeypatch.setattr(ingest.gate, "EXPECTATIONS_DIR", root)
    ingest.gate._checkpoint.cache_clear()
    yield root
    ingest.gate._checkpoint.cache_clear()


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("samples")
    files = [f.path for f in write_sample_inbox("04", dt.date(2024, 3, 1), out, seed=0)]
    # a sender's file name is shown, never interpreted, by the pages
    odd = files[1].with_name("<img src=x> Bảo Lạc & co.xlsx")
    shutil.copyfile(files[1], odd)
    return [files[0], odd]


def _gate(paths: list[Path], reference: Reference) -> None:
    subs = [read_submission(p, reference) for p in paths]
    with ingest.gate.data_docs_once():
        ingest.gate.gate(subs, reference, received_on={s.file_sha256: RECEIVED.date() for s in subs}, reported={})


def _site(gx_dir: Path) -> Path:
    return gx_dir / "gx" / "uncommitted" / "data_docs" / "local_site"


def _offline_dom(page: Path) -> str:
    """The page's DOM after its scripts ran, in Chromium with every network request failing."""
    return dump_dom(
        CHROMIUM,
        page.as_uri(),
        "--proxy-server=127.0.0.1:9",  # nothing listens there: the network is cut off
        "--proxy-bypass-list=<-loopback>",
        "--allow-file-access-from-files",
        budget_ms=15000,
    )


def test_no_data_docs_page_loads_anything_from_the_network(gx_dir: Path, samples: list[Path], reference: Reference):
    _gate(samples, reference)
    pages = sorted(_site(gx_dir).rglob("*.html"))
    assert len(pages) >= 3  # the index, the suite, a validation
    for page in pages:
        assert remote_references(page.read_text(encoding="utf-8")) == [], page
    for sheet in sorted(_site(gx_dir).rglob("*.css")):
        assert remote_references(sheet.read_text(encoding="utf-8")) == [], sheet

    # the index's table is built by jQuery and bootstrap-table: offline, from the site's files
    index = _offline_dom(_site(gx_dir) / "index.html")
    assert 'class="bootstrap-table' in index, index[-2000:]
    assert samples[0].name in index


def test_each_page_names_the_files_it_validated(gx_dir: Path, samples: list[Path], reference: Reference):
    _gate(samples, reference)
    (page,) = (_site(gx_dir) / "validations").rglob("*.html")
    text = page.read_text(encoding="utf-8")
    assert "Data asset: None" not in text and "None" not in text.split("Data asset:")[1][:200]
    assert samples[0].name in text
    index = (_site(gx_dir) / "index.html").read_text(encoding="utf-8")
    assert samples[0].name in index
    # a sender's name is text on every page, never markup (GX leaves it raw in places)
    assert "‹img src=x› Bảo Lạc &amp; co.xlsx" in text  # as written, but inert
    for page in _site(gx_dir).rglob("*.html"):
        assert "<img src=x>" not in page.read_text(encoding="utf-8"), page


def test_a_dry_run_records_nothing(gx_dir: Path, samples: list[Path]):
    subs, run = validate_paths(samples, received_at=RECEIVED)
    assert len(subs) == 2 and run is not None
    assert run.data_docs is None
    uncommitted = gx_dir / "gx" / "uncommitted"
    assert not list(uncommitted.rglob("*.json")), "a validation result was stored"
    assert not (uncommitted / "data_docs").exists()


def _stored_results(gx_dir: Path) -> list[dict]:
    import json

    stored = (gx_dir / "gx" / "uncommitted" / "validations").rglob("*.json")
    return [json.loads(path.read_text(encoding="utf-8")) for path in stored]


def test_a_passing_batch_is_recorded_with_its_verdicts_a_failing_one_with_its_rows_once(
    gx_dir: Path, samples: list[Path], reference: Reference
):
    subs = [read_submission(p, reference) for p in samples]
    passing = ingest.gate.gate(subs, reference, received_on={s.file_sha256: RECEIVED.date() for s in subs}, reported={})
    assert passing.success
    (stored,) = _stored_results(gx_dir)
    assert all(r["success"] and not r["result"] for r in stored["results"])  # the verdicts alone

    late = dt.date(2031, 1, 1)  # far outside the filing window: every file fails the gate
    failing = ingest.gate.gate(subs, reference, received_on={s.file_sha256: late for s in subs}, reported={})
    assert not failing.success
    assert all(any(p.code == "period_outside_window" for p in s.problems) for s in subs), [s.problems for s in subs]
    assert len(_stored_results(gx_dir)) == 2  # one result for the failing batch: the detailed run replaced its verdict
    (detailed,) = [r for r in _stored_results(gx_dir) if not r["success"]]
    failed = [r for r in detailed["results"] if not r["success"]]
    assert failed and all(r["result"]["unexpected_index_list"] for r in failed)


def test_a_build_loads_the_templates_an_earlier_build_compiled(
    gx_dir: Path, samples: list[Path], reference: Reference, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GX creates its views, and their Jinja environments, anew at every build: the page
    templates are compiled once into the shared cache, and a later build — in another process,
    or after GX or Python changed nothing — loads them instead of compiling them again. The
    pages are GX's, index included."""
    import jinja2

    from gnbv import data_docs_templates, reference_cache

    monkeypatch.setattr(reference_cache, "default_cache_dir", lambda: tmp_path / "cache")
    compiled: list[str | None] = []
    compile_source = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: str, name: str | None = None, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        compiled.append(name)
        return compile_source(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    data_docs_templates.shared_bytecode_cache.cache_clear()
    _gate(samples[:1], reference)
    assert "page.j2" in compiled and "index_page.j2" in compiled
    assert sorted(p.name for p in (tmp_path / "cache" / "jinja").iterdir())

    compiled.clear()
    data_docs_templates.shared_bytecode_cache.cache_clear()  # as a new process finds it
    _gate(samples[1:], reference)
    assert compiled == []
    site = _site(gx_dir)
    assert (site / "index.html").exists()
    assert len(list((site / "validations").rglob("*.html"))) == 2
    data_docs_templates.shared_bytecode_cache.cache_clear()
