"""The RunResult JSON Schema (draft 2020-12) validates model.to_json output and stays in sync."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jsonschema
import pytest
from driftscope import model
from driftscope.report import load_schema

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("name", ["report_chain.json", "report_pair.json"])
def test_fixtures_validate(validator: jsonschema.Draft202012Validator, name: str) -> None:
    doc = json.loads((DATA / name).read_text(encoding="utf-8"))
    assert not list(validator.iter_errors(doc))
    # and what the model writes back validates too
    again = json.loads(model.to_json(model.from_json((DATA / name).read_text(encoding="utf-8"))))
    assert not list(validator.iter_errors(again))


def test_schema_properties_match_the_dataclasses() -> None:
    schema = load_schema()
    defs = schema["$defs"]
    classes = [
        model.Segment,
        model.Document,
        model.Bead,
        model.BeadScore,
        model.Span,
        model.Flag,
        model.Comparison,
        model.Signature,
    ]
    for cls in classes:
        fields = [f.name for f in dataclasses.fields(cls)]
        assert list(defs[cls.__name__]["properties"]) == fields, cls.__name__
        assert set(defs[cls.__name__]["required"]) == set(fields), cls.__name__
    assert list(schema["properties"]) == [f.name for f in dataclasses.fields(model.RunResult)]
    assert defs["Flag"]["properties"]["kind"]["enum"] == list(model.FLAG_KINDS)
    assert defs["Flag"]["properties"]["severity"]["enum"] == list(model.SEVERITIES)


@pytest.mark.parametrize(
    "path, value",
    [
        (("comparisons", 0, "flags", 0, "severity"), "critical"),
        (("comparisons", 0, "flags", 0, "kind"), "typo"),
        (("comparisons", 0, "beads", 0, "src"), [-1]),
        (("documents", 0, "segments", 0, "text"), None),
        (("signature", "seed"), "13"),
        (("extras", "nway"), [{"similarity": {}}]),
        (("extras", "gold"), [{"hop": "ru-vi", "version": "vi", "segment": "x", "kind": "k"}]),
    ],
)
def test_schema_rejects_bad_documents(
    validator: jsonschema.Draft202012Validator, path: tuple, value: object
) -> None:
    doc = json.loads((DATA / "report_chain.json").read_text(encoding="utf-8"))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert list(validator.iter_errors(doc))
