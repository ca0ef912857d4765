"""Corpus engine: inputs, tables, error rows, resume (also after a killed run), local pool, CLI."""

from __future__ import annotations

import json
import signal
import time
from html import unescape
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from driftscope.cli import run
from driftscope.corpus import CorpusConfig, LineParallel, iter_jobs, plan_chains, run_corpus
from driftscope.errors import InputError
from driftscope.pipeline import PipelineConfig

from tests.corpus_helpers import (
    clean_corpus_cmd,
    parts,
    read_tables,
    run_until_parts,
    table_rows,
    write_jsonl,
)

ROOT = Path(__file__).resolve().parents[2]
HASH = CorpusConfig(pipeline=PipelineConfig(model="hash"), workers=1, presegmented=True)


def test_plan_chains_star_relay_and_all_pairs() -> None:
    assert plan_chains([("en", "original"), ("ru", ""), ("vi", "")]) == (
        ("en", "ru"),
        ("en", "vi"),
    )
    assert plan_chains([("ru", "original"), ("vi", "relay"), ("en", "mt")]) == (("ru", "vi", "en"),)
    full = plan_chains([("en", "original"), ("ru", ""), ("vi", "")], all_pairs=True)
    assert full[-1] == ("ru", "vi") and len(full) == 3
    # a chain already compares its hops and the direct pair: all_pairs adds nothing there
    assert plan_chains([("ru", "original"), ("vi", "relay"), ("en", "mt")], True) == (
        ("ru", "vi", "en"),
    )


def _lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_line_parallel_groups_documents_and_isolates_bad_bytes(tmp_path: Path) -> None:
    ids = _lines(tmp_path / "DOCUMENT_IDS.tsv", [b"a", b"a", b"b", b"c", b"c"])
    en = _lines(tmp_path / "en.txt", [b"One.", b"Two.", b"Three.", b"Four.", b"Five."])
    ru = _lines(tmp_path / "ru.txt", ["Один.".encode(), b"\xff\xfe", b"x", b"y", b"z"])
    jobs = list(iter_jobs(LineParallel((("en", en), ("ru", ru)), ids)))
    assert [j.doc_id for j in jobs] == ["a", "b", "c"]
    assert "ru.txt:2: not valid UTF-8" in jobs[0].error and not jobs[1].error
    assert jobs[2].versions[0].text == "Four.\nFive." and jobs[2].chains == (("en", "ru"),)
    assert len({j.key for j in jobs}) == 3
    short = _lines(tmp_path / "vi.txt", [b"one"])
    with pytest.raises(InputError, match="1 lines but 5 document ids"):
        list(iter_jobs(LineParallel((("en", en), ("vi", short)), ids)))


def test_line_parallel_files_in_legacy_encodings_or_nfd_read_as_utf8(tmp_path: Path) -> None:
    import unicodedata

    ru = ["Президент Белоруссии выступил в Минске.", "Оппозиция провела митинг в центре города."]
    vi = ["Tổng thống Belarus phát biểu tại Minsk.", "Phe đối lập tổ chức mít tinh ở trung tâm."]
    ids = _lines(tmp_path / "DOCUMENT_IDS.tsv", [b"a", b"a"])
    utf8 = [
        _lines(tmp_path / f"{n}.txt", [t.encode() for t in x]) for n, x in (("r", ru), ("v", vi))
    ]
    legacy = [
        _lines(tmp_path / "ru1251.txt", [t.encode("cp1251") for t in ru]),
        _lines(tmp_path / "vinfd.txt", [unicodedata.normalize("NFD", t).encode() for t in vi]),
    ]
    want = list(iter_jobs(LineParallel((("ru", utf8[0]), ("vi", utf8[1])), ids)))
    got = list(iter_jobs(LineParallel((("x", legacy[0]), ("vi", legacy[1])), ids)))
    assert not got[0].error, got[0].error
    assert [v.text for v in got[0].versions] == [v.text for v in want[0].versions]
    assert got[0].versions[0].lang == "ru"  # detected on the decoded text, not on mojibake
    late = _lines(tmp_path / "late.txt", [b"0000000"] * 10000 + [t.encode("cp1251") for t in ru])
    ids_late = _lines(tmp_path / "ids_late.tsv", [b"a"] * 10002)
    (job,) = iter_jobs(LineParallel((("ru", late), ("x", late)), ids_late))
    assert not job.error and job.versions[0].text.endswith(ru[1])  # ASCII first 64 KB
    utf16 = tmp_path / "ru16.txt"
    utf16.write_bytes(("\n".join(ru) + "\n").encode("utf-16"))
    with pytest.raises(InputError, match="UTF-16 or UTF-32"):
        list(iter_jobs(LineParallel((("ru", utf16), ("vi", utf8[1])), ids)))


def test_jsonl_and_parquet_tables_give_the_same_jobs(tmp_path: Path) -> None:
    rows = table_rows(3)
    a = list(iter_jobs(write_jsonl(tmp_path / "c.jsonl", rows)))
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "c.parquet")
    b = list(iter_jobs(tmp_path / "c.parquet"))
    assert a == b and [j.doc_id for j in a] == ["doc000", "doc001", "doc002"]
    assert a[0].chains == (("en", "b"), ("en", "c"))


def test_manifest_folder_is_one_document_per_manifest() -> None:
    (job,) = iter_jobs(ROOT / "corpora")
    assert job.manifest.endswith("manifest.toml") and job.chains == (("ru", "vi", "en"),)


def test_run_corpus_tables_error_rows_index_and_resume(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "c.jsonl", table_rows(6))
    out = tmp_path / "out"
    s = run_corpus(src, out, HASH)
    assert (s.documents, s.processed, s.skipped, s.errors) == (6, 6, 0, 2)
    t = read_tables(out)
    errors = {r["doc_id"]: r["error"] for r in t["documents"] if r["status"] == "error"}
    assert set(errors) == {"doc001", "doc002"}
    assert "no segments" in errors["doc001"] and "'de'" in errors["doc002"]
    ok = [r for r in t["documents"] if r["status"] == "ok"]
    assert [r["comparison"] for r in ok[:2]] == ["en-b", "en-c"]
    # doc000 drops its third sentence in version b: one omission, counted and flagged
    first = ok[0]
    assert (first["n_src"], first["omitted"], first["represented"]) == (5, 1, 4)
    assert first["flags_omission"] >= 1 and first["ci_low"] <= first["mean_similarity"]
    n_beads = sum(r["beads"] for r in ok)
    assert len(t["beads"]) == n_beads and len(t["flags"]) == sum(r["flags"] for r in ok)
    assert isinstance(t["beads"][0]["src"], list) and t["beads"][0]["src_text"]
    html = unescape((out / "index.html").read_text(encoding="utf-8"))
    assert 'id="matrix-table"' in html and "doc002" in html and "default-src 'none'" in html
    again = run_corpus(src, out, HASH)
    assert (again.processed, again.skipped) == (0, 6) and read_tables(out) == t


def test_reports_are_linked_from_the_index(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "c.jsonl", table_rows(2, bad=False))
    cfg = CorpusConfig(pipeline=PipelineConfig(model="hash"), workers=1, reports=True)
    run_corpus(src, tmp_path / "out", cfg)
    reports = sorted((tmp_path / "out" / "reports").glob("*.html"))
    assert len(reports) == 2
    assert f'href="reports/{reports[0].name}"' in (tmp_path / "out" / "index.html").read_text()


def test_pool_of_two_workers_gives_the_same_tables(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "c.jsonl", table_rows(6))
    run_corpus(src, tmp_path / "one", HASH)
    pool = CorpusConfig(pipeline=PipelineConfig(model="hash"), workers=2, presegmented=True)
    run_corpus(src, tmp_path / "two", pool)
    assert read_tables(tmp_path / "one") == read_tables(tmp_path / "two")


def _children(pid: int) -> list[int]:
    """Pool workers of a process (Linux /proc; empty elsewhere)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(c) for c in path.read_text().split()] if path.exists() else []
    return [k for k in kids if b"spawn_main" in Path(f"/proc/{k}/cmdline").read_bytes()]


def test_killed_run_resumes_with_only_the_remaining_documents(tmp_path: Path) -> None:
    n = 40
    src, out, cmd = clean_corpus_cmd(tmp_path, n, "--workers", "2")
    proc = run_until_parts(cmd, out, 5, timeout=120)
    workers = _children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{w}").exists() for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if Path(f"/proc/{w}").exists()], "workers outlived the driver"
    done = len(parts(out))
    assert 5 <= done < n, done
    assert not list(out.glob("*.parquet")), "a killed run left a table"
    resumed = run_corpus(src, out, HASH)
    assert (resumed.skipped, resumed.processed) == (done, n - done)
    run_corpus(src, tmp_path / "whole", HASH)
    assert read_tables(out) == read_tables(tmp_path / "whole")


def test_cli_corpus_line_parallel(tmp_path: Path, capsys) -> None:
    ids = _lines(tmp_path / "DOCUMENT_IDS.tsv", [b"a"] * 4 + [b"b"] * 4)
    texts = [f"Sentence {i} is about the weather in spring." for i in range(8)]
    en = _lines(tmp_path / "en.txt", [t.encode() for t in texts])
    de = _lines(tmp_path / "b.txt", [t.replace("weather", "rain").encode() for t in texts])
    out = tmp_path / "out"
    args = ["corpus", str(ids), "-o", str(out), "--original", f"en={en}", "--version",
            f"b={de}", "--model", "hash", "--workers", "1", "--presegmented"]  # fmt: skip
    assert run([*args, "-q"]) == 0
    docs = read_tables(out)["documents"]
    assert [(r["doc_id"], r["comparison"], r["n_src"]) for r in docs] == [
        ("a", "en-b", 4),
        ("b", "en-b", 4),
    ]
    assert json.loads((out / "signature.json").read_text())["corpus"]["presegmented"] is True
    assert run([*args]) == 0
    assert "2 documents (0 processed, 2 already done, 0 failed)" in capsys.readouterr().err
    assert run(["corpus", str(tmp_path / "nope.jsonl"), "-o", str(out), "-q"]) == 2
    assert run(["corpus", str(ids), "-o", str(out), "--engine", "spark", "-q"]) == 2


def test_outputs_never_touch_inputs_and_bad_inputs_create_nothing(tmp_path: Path, capsys) -> None:
    (tmp_path / "in").mkdir()
    src = write_jsonl(tmp_path / "in" / "c.jsonl", table_rows(1, bad=False))
    table = tmp_path / "in" / "documents.parquet"
    pq.write_table(pa.Table.from_pylist(table_rows(1, bad=False)), table)
    before = table.read_bytes()
    cases = [
        (table, tmp_path / "in"),  # the output's documents.parquet would replace the input
        (src, src),  # the input file itself
        (tmp_path / "in", tmp_path / "in" / "out"),  # inside an input folder
        (tmp_path / "empty.jsonl", tmp_path / "o1"),  # no documents
        (tmp_path / "nope.jsonl", tmp_path / "o2"),  # no such input
    ]
    (tmp_path / "empty.jsonl").write_bytes(b"")
    for source, out in cases:
        capsys.readouterr()
        assert run(["corpus", str(source), "-o", str(out), "--model", "hash", "-q"]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("driftscope: error:") and len(err.splitlines()) == 1, err
    assert table.read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == [src.name, table.name]
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o2").exists()
    assert "no documents" in str(pytest.raises(InputError, run_corpus, tmp_path / "empty.jsonl",
                                               tmp_path / "o3", HASH).value)  # fmt: skip
    assert not (tmp_path / "o3").exists()


def test_a_corpus_in_which_every_document_failed_exits_2(tmp_path: Path, capsys) -> None:
    rows = [r for r in table_rows(3) if r["doc_id"] in ("doc001", "doc002")]  # both broken
    src = write_jsonl(tmp_path / "bad.jsonl", rows)
    out = tmp_path / "out"
    assert run(["corpus", str(src), "-o", str(out), "--model", "hash", "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("driftscope: error: every document failed (2); the first: doc001")
    assert len(read_tables(out)["documents"]) == 2  # the error rows are written all the same
    some = write_jsonl(tmp_path / "some.jsonl", table_rows(3))  # one good document of three
    assert run(["corpus", str(some), "-o", str(tmp_path / "o2"), "--model", "hash", "-q"]) == 0


def test_each_text_goes_through_the_encoder_once(tmp_path: Path, monkeypatch) -> None:
    """The corpus embedding step yields the token states too (cached), so the analysis runs no
    second forward pass over the segments of a cold run."""
    from collections import Counter

    from driftscope.corpus.work import process
    from driftscope.embed import EmbeddingCache, build_e5
    from driftscope.embed.e5 import E5Encoder

    monkeypatch.setenv("DRIFTSCOPE_DEVICE", "cpu")
    src = write_jsonl(tmp_path / "c.jsonl", table_rows(1, bad=False))
    job = next(iter(iter_jobs(src, presegmented=True)))
    enc = E5Encoder(build_e5.ensure_model(), cache=EmbeddingCache(tmp_path / "e.sqlite3"))
    seen: Counter[str] = Counter()
    real = enc._forward

    def counting(texts: list[str], tokens: bool):  # type: ignore[no-untyped-def]
        seen.update(texts)
        return real(texts, tokens)

    monkeypatch.setattr(enc, "_forward", counting)
    rows = process(job, enc, PipelineConfig())
    assert rows.documents and not rows.documents[0].get("error")
    segments = {
        t for line in src.read_text().splitlines() for t in json.loads(line)["text"].split("\n")
    }
    assert segments <= set(seen)  # the segments were embedded ...
    assert max(seen.values()) == 1, seen.most_common(3)  # ... each once, as was every window


def test_ray_blocks_follow_the_corpus_job_size(tmp_path: Path) -> None:
    from driftscope.corpus.engine_ray import (
        BLOCK_CHARS,
        BLOCKS_PER_ACTOR,
        SIZE_GROUP,
        _write_shards,
        block_rows,
    )
    from driftscope.corpus.inputs import Job, VersionText

    def jobs(n: int, chars: int) -> list[Job]:
        text = "x" * chars
        return [
            Job(f"d{i}", i, (VersionText("en", "en", "original", text, "t"),), (("en",),))
            for i in range(n)
        ]

    paths, n, chars = _write_shards(jobs(300, 50), tmp_path / "a")
    assert n == 300 and len(paths) == 2  # 256 jobs a shard
    assert block_rows(n, chars, 2) == 10  # enough blocks for every actor: 300 / (16 * 2)
    assert block_rows(100 * n, 100 * chars, 2) == SIZE_GROUP  # small jobs: big blocks
    paths, n, chars = _write_shards(jobs(200, BLOCK_CHARS // 4), tmp_path / "b")
    assert 2 <= block_rows(n, chars, 1) <= 4 and len(paths) == 1  # 4 such jobs fill a block
    assert sum(1 for _ in open(paths[0], encoding="utf-8")) == 200
    # a corpus of few large documents: one per block, so that no actor is left alone at the end
    assert block_rows(63, 63 * 12_000, 2) == -(-63 // (BLOCKS_PER_ACTOR * 2)) == 2
    assert block_rows(5, 5 * 12_000, 4) == 1
    assert _write_shards([], tmp_path / "c") == ([], 0, 0)
