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


def _ray_workers(name: str) -> list[int]:
    """PIDs of Ray worker processes whose title holds ``name`` (Linux /proc)."""
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                title = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if title.startswith("ray::") and name in title:
                out.append(int(p.name))
    return out


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="finds Ray workers through /proc")
def test_a_killed_ray_worker_is_replaced_and_the_tables_do_not_change(
    tmp_path: Path, local_ray: None
) -> None:
    import os
    import signal
    import threading
    import time

    from tests.corpus_helpers import parts

    n = 40
    src = write_jsonl(tmp_path / "c.jsonl", table_rows(n, bad=False))
    base = CorpusConfig(pipeline=PipelineConfig(model="hash"), workers=1, presegmented=True)
    run_corpus(src, tmp_path / "local", base)
    out = tmp_path / "ray"
    killed: list[int] = []
    done_then: list[int] = []

    def kill_one() -> None:  # an embedding actor, while it embeds a batch
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            pids = _ray_workers("MapBatches(_Embedder)).submit")
            if pids:
                done_then.append(len(parts(out)))
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
            time.sleep(0.01)

    opts = RayOptions(batch_size=1, actor_cpus=0.5, task_cpus=0.5)
    cfg = CorpusConfig(pipeline=base.pipeline, engine="ray", ray=opts, presegmented=True,
                       quiet=True)  # fmt: skip
    killer = threading.Thread(target=kill_one)
    killer.start()
    s = run_corpus(src, out, cfg)
    killer.join()
    assert killed and done_then[0] < n, (killed, done_then)
    assert (s.documents, s.processed, s.errors) == (n, n, 0)
    assert read_tables(out) == read_tables(tmp_path / "local")


def _alive(pids: list[int]) -> list[int]:
    return [p for p in pids if Path(f"/proc/{p}").exists()]


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="finds Ray workers through /proc")
def test_a_killed_ray_driver_resumes_with_only_the_remaining_documents(tmp_path: Path) -> None:
    import signal
    import time

    from tests.corpus_helpers import clean_corpus_cmd, parts, run_until_parts

    n = 40
    src, out, cmd = clean_corpus_cmd(tmp_path, n, "--engine", "ray")
    before = set(_ray_workers(""))
    proc = run_until_parts(cmd, out, 5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = len(parts(out))
    assert 5 <= done < n, done
    assert not list(out.glob("*.parquet")), "a killed run left a table"
    # the Ray that driver started goes down with it (its workers watch the driver)
    spawned = [p for p in _ray_workers("") if p not in before]
    deadline = time.monotonic() + 90
    while _alive(spawned) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert spawned and not _alive(spawned), "Ray processes outlived the killed driver"
    base = CorpusConfig(pipeline=PipelineConfig(model="hash"), workers=1, presegmented=True)
    resumed = run_corpus(src, out, base)
    assert (resumed.skipped, resumed.processed) == (done, n - done)
    run_corpus(src, tmp_path / "whole", base)
    assert read_tables(out) == read_tables(tmp_path / "whole")
