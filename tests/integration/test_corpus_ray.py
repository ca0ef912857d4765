"""The Ray engine on a local 2-CPU Ray cluster the tests start and stop themselves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from driftscope.corpus import CorpusConfig, RayOptions, run_corpus
from driftscope.pipeline import PipelineConfig

from tests.corpus_helpers import read_tables, table_rows, write_jsonl

ray = pytest.importorskip("ray", reason="the Ray engine needs the driftscope[ray] extra")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": str(ROOT / "toolkit")}},
    )
    yield
    ray.shutdown()


def test_ray_and_local_give_identical_tables_and_resume(tmp_path: Path, local_ray: None) -> None:
    src = write_jsonl(tmp_path / "c.jsonl", table_rows(8))
    base = CorpusConfig(pipeline=PipelineConfig(model="hash"), workers=1, presegmented=True)
    run_corpus(src, tmp_path / "local", base)
    opts = RayOptions(batch_size=3, actor_cpus=0.5, task_cpus=0.5)
    cfg = CorpusConfig(pipeline=base.pipeline, engine="ray", ray=opts, presegmented=True,
                       quiet=True)  # fmt: skip
    s = run_corpus(src, tmp_path / "ray", cfg)
    assert (s.documents, s.processed, s.errors) == (8, 8, 2)
    t = read_tables(tmp_path / "ray")
    assert t == read_tables(tmp_path / "local")
    errors = [r["error"] for r in t["documents"] if r["status"] == "error"]
    assert len(errors) == 2 and "no segments" in errors[0]
    # a run on one engine resumes on the other: same signature, nothing left to do
    again = run_corpus(src, tmp_path / "local", cfg)
    assert (again.processed, again.skipped) == (0, 8)
