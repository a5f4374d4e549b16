"""The gate builds each expectation's configuration once per validation
(``ingest.gx_configurations``), and GX's results are the same as when GX rebuilds it for every
question: on batches that pass and batches that fail, in the verdict-only format and in the
checkpoint's own, every expectation's success, counts and unexpected rows alike."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import ingest.gate
from gnbv.dev.samples.province import generate_bad_samples, write_sample_inbox
from gnbv.reference import Reference
from ingest.gate_frame import check_frame
from ingest.gx_configurations import one_per_validation
from ingest.model import Submission
from ingest.read_file import read_submission
from tests.bad_inputs import build_all

MARCH_2024 = dt.date(2024, 3, 1)
ON_TIME = dt.date(2024, 3, 11)


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory, reference: Reference) -> dict[str, list[Submission]]:
    folder = tmp_path_factory.mktemp("fixtures")
    good = [read_submission(f.path, reference) for f in write_sample_inbox("04", MARCH_2024, folder / "inbox", seed=0)]
    bad = [read_submission(b.path, reference) for b in generate_bad_samples(folder / "bad", MARCH_2024)]
    corpus = [read_submission(path, reference) for path in build_all(folder / "corpus")]
    return {"good": good, "bad": bad, "hostile": corpus, "all": good + bad + corpus}


def _validate(subs: list[Submission], reference: Reference, result_format: Any, *, memoised: bool) -> dict:
    _, checkpoint = ingest.gate._checkpoint()
    definition = checkpoint.validation_definitions[0]
    checked = check_frame(subs, reference, {s.file_sha256: ON_TIME for s in subs}, {})
    frame = checked.frame[["row_id", *ingest.gate._rule_columns()]]
    batch = definition.batch_definition.get_batch(batch_parameters={"dataframe": frame})
    if memoised:
        with one_per_validation():
            result = batch.validate(definition.suite, result_format=result_format)
    else:
        result = batch.validate(definition.suite, result_format=result_format)
    as_json = result.to_json_dict()
    return {"success": as_json["success"], "statistics": as_json["statistics"], "results": as_json["results"]}


@pytest.mark.parametrize("name", ["good", "bad", "hostile", "all"])
def test_results_are_the_same_with_one_configuration_per_validation(
    name: str, batches: dict[str, list[Submission]], reference: Reference
) -> None:
    _, checkpoint = ingest.gate._checkpoint()
    subs = batches[name]
    for result_format in (ingest.gate.VERDICT_ONLY, checkpoint.result_format):
        as_gx_builds_it = _validate(subs, reference, result_format, memoised=False)
        assert _validate(subs, reference, result_format, memoised=True) == as_gx_builds_it
    if name == "good":
        assert as_gx_builds_it["success"]
    else:
        assert not as_gx_builds_it["success"]


def test_outside_a_validation_gx_builds_configurations_as_it_does() -> None:
    _, checkpoint = ingest.gate._checkpoint()
    expectation = checkpoint.validation_definitions[0].suite.expectations[0]
    with one_per_validation():
        inside = (expectation.configuration, expectation.configuration)
    outside = (expectation.configuration, expectation.configuration)
    assert inside[0] is inside[1]
    assert outside[0] is not outside[1] and outside[0] == outside[1] == inside[0]
