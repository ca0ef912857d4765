"""``driftscope score`` against the sacrebleu CLI itself (same options -> same bytes), output
formats, bad inputs, and ``sim`` with the real offline encoder on a tiny input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from driftscope.cli import run
from driftscope.cli.score import expand_multi

from tests.unit.test_score import REF2, REFS, SYS

BIN = Path(sys.executable).parent
SACREBLEU = str(BIN / "sacrebleu")


# Chinese target text: -l en-zh must pick sacrebleu's zh tokenizer (and the text must be Chinese:
# driftscope refuses a given language that the text clearly contradicts).
ZH_REF = ["白俄罗斯总统卢卡申科昨天在明斯克会见了俄罗斯代表团。", "双方讨论了军事合作和经济问题。"]
ZH_HYP = ["白俄罗斯总统卢卡申科在明斯克会见了俄罗斯代表团。", "双方讨论了军事和经济合作问题。"]


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, lines in [
        ("ref", REFS),
        ("ref2", REF2),
        ("h1", SYS[0]),
        ("h2", SYS[1]),
        ("h3", SYS[2]),
        ("zref", ZH_REF),
        ("zh1", ZH_HYP),
    ]:
        out[name] = tmp_path / name
        out[name].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def ours(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = run(["score", "-q", *args])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def sacrebleu(refs: list[Path], hyps: list[Path], args: list[str]) -> str:
    cmd = [SACREBLEU, "-q", "--no-color", *map(str, refs), "-i", *map(str, hyps), *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=True, cwd="/").stdout


CASES = [
    (["ref"], ["h1"], ["-m", "bleu", "chrf", "ter", "-f", "text"]),
    (["ref"], ["h1"], ["-m", "bleu", "chrf", "ter", "-f", "json"]),
    (["ref", "ref2"], ["h1"], ["-m", "bleu", "chrf", "-f", "text", "-w", "3", "--short"]),
    (
        ["ref", "ref2"],
        ["h1"],
        [
            "-m",
            "bleu",
            "chrf",
            "ter",
            "-f",
            "json",
            "-lc",
            "-cw",
            "2",
            "--ter-normalized",
            "--smooth-method",
            "add-k",
        ],
    ),
    (["ref", "ref2"], ["h1", "h2", "h3"], ["-m", "bleu", "chrf", "ter", "-f", "text"]),
    (["ref", "ref2"], ["h1", "h2", "h3"], ["-m", "ter", "bleu", "-f", "json", "-w", "2"]),
    (
        ["ref"],
        ["h1", "h2", "h3"],
        ["-m", "bleu", "chrf", "--paired-bs", "--paired-bs-n", "150", "-f", "text"],
    ),
    (
        ["ref", "ref2"],
        ["h1", "h2"],
        ["-m", "bleu", "chrf", "--paired-ar", "--paired-ar-n", "200", "-f", "json"],
    ),
    (["ref"], ["h1"], ["-m", "bleu", "--sentence-level", "--smooth-method", "floor"]),
    (["ref", "ref2"], ["h1"], ["-m", "chrf", "--sentence-level", "-cw", "2", "-w", "2"]),
    (["ref"], ["h1"], ["-m", "ter", "--sentence-level", "--ter-no-punct", "--ter-case-sensitive"]),
    (["zref"], ["zh1"], ["-m", "bleu", "-l", "en-zh", "-f", "text"]),  # tokenizer from -l
]


@pytest.mark.parametrize(("refs", "hyps", "args"), CASES)
def test_same_output_as_sacrebleu_cli(
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    refs: list[str],
    hyps: list[str],
    args: list[str],
) -> None:
    ref_paths, hyp_paths = [files[r] for r in refs], [files[h] for h in hyps]
    want = sacrebleu(ref_paths, hyp_paths, args)
    mine = [a for r in ref_paths for a in ("-r", str(r))] + ["-i", *map(str, hyp_paths)]
    lang = [] if "-l" in args else ["--tgt-lang", "en"]  # --tgt-lang would win over -l
    code, out, _ = ours([*mine, *args, *lang], capsys)
    assert code == 0
    if "json" in args and len(hyps) == 1:
        # Same objects; we add the system name and languages at the end of each.
        got, exp = json.loads(out), json.loads(want)
        got, exp = (
            (got if isinstance(got, list) else [got]),
            (exp if isinstance(exp, list) else [exp]),
        )
        assert [{k: g[k] for k in e} for g, e in zip(got, exp, strict=True)] == exp
        assert all(g["tgt_lang"] == "en" and g["tgt_lang_from"] == "given" for g in got)
    else:
        # sacrebleu names systems by the path it was given; we were given the same paths
        assert out == want


def test_paired_bs_json_matches_sacrebleu(files: dict[str, Path], capsys) -> None:
    # sacrebleu 2.6's own --paired-bs -f json crashes on chrF (float32 not JSON serialisable),
    # so BLEU is compared as JSON and chrF through the numbers of sacrebleu's text table.
    hyps = [files["h1"], files["h2"]]
    mine = ["-r", str(files["ref"]), "-i", *map(str, hyps), "--paired-bs", "--paired-bs-n", "100"]
    want = json.loads(
        sacrebleu([files["ref"]], hyps, ["-m", "bleu", "--paired-bs", "-pbsn", "100"])
    )
    code, out, _ = ours([*mine, "-m", "bleu", "-f", "json"], capsys)
    assert code == 0 and json.loads(out) == want
    text = sacrebleu(
        [files["ref"]], hyps, ["-m", "chrf", "-pbs", "-pbsn", "100", "-f", "text", "-w", "4"]
    )
    code, out, _ = ours([*mine, "-m", "chrf", "-f", "json"], capsys)
    r = json.loads(out)[1]["chrF2"]
    assert f"{r['score']:.4f} ({r['mean']:.4f} ± {r['ci']:.4f})" in text
    assert f"(p = {r['p_value']:.4f})" in text


def test_tsv_and_jsonl_parse(files: dict[str, Path], tmp_path: Path, capsys) -> None:
    src = tmp_path / "src"
    src.write_text("\n".join(r.upper() for r in REFS) + "\n", encoding="utf-8")
    base = [
        "-r",
        str(files["ref"]),
        "-i",
        str(files["h1"]),
        str(files["h2"]),
        "-s",
        str(src),
        "--model",
        "hash",
        "--tgt-lang",
        "en",
        "--src-lang",
        "en",
    ]
    code, out, _ = ours([*base, "-m", "bleu", "chrf", "sim", "-f", "tsv"], capsys)
    assert code == 0
    rows = [line.split("\t") for line in out.strip().split("\n")]
    assert rows[0] == ["system", "BLEU", "chrF2", "sim"] and len(rows) == 3
    assert rows[1][0] == str(files["h1"])
    assert float(rows[1][1]) > float(rows[2][1])
    code, out, _ = ours([*base, "-m", "bleu", "ter", "-f", "jsonl"], capsys)
    objs = [json.loads(line) for line in out.strip().split("\n")]
    assert len(objs) == 2 * len(REFS)
    assert objs[0]["system"] == str(files["h1"]) and objs[0]["index"] == 0
    assert set(objs[0]) == {"system", "index", "BLEU", "TER", "qe"}
    assert all(isinstance(o["qe"], float) for o in objs)
    code, out, _ = ours([*base, "-m", "chrf", "--sentence-level", "-f", "tsv"], capsys)
    rows = [line.split("\t") for line in out.strip().split("\n")]
    assert rows[0] == ["system", "index", "chrF2", "qe"] and len(rows) == 1 + 2 * len(REFS)
    out_file = tmp_path / "o.json"
    code, out, _ = ours([*base, "-m", "bleu", "-f", "json", "-o", str(out_file)], capsys)
    assert code == 0 and out == ""
    assert json.loads(out_file.read_text())[0]["system"] == str(files["h1"])


def test_bad_inputs_give_one_line_errors(files: dict[str, Path], tmp_path: Path, capsys) -> None:
    empty, binary, garbage, short = (tmp_path / n for n in ("empty", "bin", "garbage", "short"))
    empty.write_bytes(b"")
    binary.write_bytes(b"abc\x00\x01\x02def\n" * 20)
    garbage.write_bytes(bytes(range(128, 256)) * 8)
    short.write_text("one line\n", encoding="utf-8")
    ref = ["-r", str(files["ref"])]
    for bad, needle in [(empty, "empty"), (binary, "binary"), (garbage, "decode")]:
        code, out, err = ours([*ref, "-i", str(bad)], capsys)
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and needle in err and str(bad) in err
    code, _, err = ours([*ref, "-i", str(short)], capsys)
    assert code == 2 and err.count("\n") == 1
    assert str(short) in err and str(files["ref"]) in err and "1 lines" in err and "12" in err
    code, _, err = ours([*ref, "-i", str(files["h1"]), "-m", "meteor"], capsys)
    assert code == 2 and "unknown metric" in err
    code, _, err = ours([*ref, "-i", str(files["h1"]), "--paired-bs"], capsys)
    assert code == 2 and "two systems" in err
    code, _, err = ours([*ref, "-i", str(files["ref"]), "-o", str(files["ref"])], capsys)
    assert code == 2 and "overwrite" in err


def test_cp1251_input_is_decoded(tmp_path: Path, capsys) -> None:
    ru = ["Комитет одобрил новый бюджет во вторник.", "Сильный дождь вызвал наводнения."]
    ref, hyp = tmp_path / "ref.ru", tmp_path / "hyp.ru"
    ref.write_text("\n".join(ru) + "\n", encoding="utf-8")
    hyp.write_bytes(("\n".join(ru) + "\n").encode("cp1251"))
    code, out, _ = ours(["-r", str(ref), "-i", str(hyp), "-m", "chrf", "-b"], capsys)
    assert code == 0 and out.strip() == "100.0"


def test_expand_multi() -> None:
    assert expand_multi(["-i", "a", "b", "-m", "bleu", "chrf", "-r", "x", "-w", "2", "c"]) == [
        "-i",
        "a",
        "-i",
        "b",
        "-m",
        "bleu",
        "-m",
        "chrf",
        "-r",
        "x",
        "-w",
        "2",
        "c",
    ]


def test_sim_real_encoder_prefers_true_translation(tmp_path: Path, capsys) -> None:
    # Tiny input for the real offline encoder (e5-small): sources in Russian, a faithful
    # English translation, and the same sentences shuffled (every line mismatched).
    src = [
        "Кошка спит на тёплом подоконнике.",
        "Завтра в городе ожидается сильный снег.",
        "Правительство повысило пенсии на пять процентов.",
        "Мальчик потерял ключи в парке.",
    ]
    good = [
        "The cat is sleeping on the warm windowsill.",
        "Heavy snow is expected in the city tomorrow.",
        "The government raised pensions by five percent.",
        "The boy lost his keys in the park.",
    ]
    bad = good[1:] + good[:1]
    paths = {}
    for name, lines in [("src", src), ("good", good), ("bad", bad)]:
        paths[name] = tmp_path / name
        paths[name].write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = ours(
        [
            "-s",
            str(paths["src"]),
            "-i",
            str(paths["good"]),
            str(paths["bad"]),
            "-m",
            "sim",
            "-f",
            "json",
            "-w",
            "3",
        ],
        capsys,
    )
    assert code == 0, err
    rows = json.loads(out)
    assert float(rows[0]["sim"]) > float(rows[1]["sim"]) + 0.2  # calibrated, 0-1 scale
    code, out, err = ours(
        [
            "-s",
            str(paths["src"]),
            "-i",
            str(paths["good"]),
            str(paths["bad"]),
            "-m",
            "sim",
            "-f",
            "jsonl",
        ],
        capsys,
    )
    objs = [json.loads(line) for line in out.strip().split("\n")]
    for i in range(4):
        assert objs[i]["qe"] > objs[4 + i]["qe"]
        assert objs[i]["sim_raw"] > objs[4 + i]["sim_raw"]


def test_sentence_level_hallucination_and_omission_probabilities(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """40 NTREX en->ru pairs: 6 targets cut to their first third (omissions) and 6 replaced by
    other lines of the set (detached); the rest intact. Each group must rank as expected."""
    from tests.helpers import NTREX

    def lines(name: str) -> list[str]:
        return (NTREX / name).read_text(encoding="utf-8-sig").splitlines()[200:240]

    en, ru = lines("newstest2019-src.eng.txt"), lines("newstest2019-ref.rus.txt")
    hyp = list(ru)
    cut, detached = range(0, 12, 2), range(1, 12, 2)
    for i in cut:
        words = ru[i].split()
        hyp[i] = " ".join(words[: max(2, len(words) // 3)])
    for i in detached:
        hyp[i] = ru[(i + 17) % len(ru)]
    (tmp_path / "src.en").write_text("\n".join(en) + "\n", encoding="utf-8")
    (tmp_path / "hyp.ru").write_text("\n".join(hyp) + "\n", encoding="utf-8")
    args = ["-s", str(tmp_path / "src.en"), "-i", str(tmp_path / "hyp.ru"), "-m", "sim"]
    code, out, err = ours([*args, "-f", "jsonl"], capsys)
    assert code == 0, err
    rows = [json.loads(line) for line in out.strip().split("\n")]
    p_om = np.array([r["p_omission"] for r in rows])
    p_hal = np.array([r["p_hallucination"] for r in rows])
    intact = [i for i in range(len(rows)) if i >= 12]
    assert 0 <= p_om.min() and p_om.max() <= 1 and 0 <= p_hal.min() and p_hal.max() <= 1
    assert np.median(p_om[list(cut)]) > np.percentile(p_om[intact], 90)
    assert np.median(p_hal[list(detached)]) > np.percentile(p_hal[intact], 90)
    # the detached combiner ranks the swapped lines above the intact and the cut ones
    p_det = np.array([r["p_detached"] for r in rows])
    assert 0 <= p_det.min() and p_det.max() <= 1
    assert np.median(p_det[list(detached)]) > p_det[intact].max()
    assert np.median(p_det[list(detached)]) > np.median(p_det[list(cut)])
    # too few pairs for the random-pair baselines: no probabilities, qe falls back
    (tmp_path / "s5").write_text("\n".join(en[:5]) + "\n", encoding="utf-8")
    (tmp_path / "h5").write_text("\n".join(hyp[:5]) + "\n", encoding="utf-8")
    code, out, err = ours(["-s", str(tmp_path / "s5"), "-i", str(tmp_path / "h5"), "-m", "sim",
                           "-f", "jsonl"], capsys)  # fmt: skip
    assert code == 0, err
    few = [json.loads(line) for line in out.strip().split("\n")]
    assert "p_omission" not in few[0] and "p_detached" not in few[0]
    assert all(-1 < r["qe"] < 2 for r in few)


def test_source_only_defaults_to_reference_free_sim_and_reads_stdin(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``-s SRC -i HYP`` without -r and -m scores sim against the source (no "bleu needs a
    reference" error); ``-i -`` and no -i read the hypotheses from standard input."""
    import io

    src, hyp = files["ref"], files["h1"]  # the hash encoder: any two line-parallel files do
    base = ["-s", str(src), "--model", "hash", "-f", "json"]
    code, out, err = ours([*base, "-i", str(hyp)], capsys)
    assert code == 0, err
    obj = json.loads(out)
    assert obj["name"] == "sim" and obj["ref"] == "src"
    # the same score from standard input, with '-i -' and with no -i at all
    for extra in (["-i", "-"], []):
        stdin = io.TextIOWrapper(io.BytesIO(hyp.read_bytes()), encoding="utf-8")
        monkeypatch.setattr("sys.stdin", stdin)
        code, out2, err = ours([*base, *extra], capsys)
        assert code == 0, err
        assert json.loads(out2)["score"] == obj["score"]
    # sim is on the reports' 0-1 scale, printed with two more decimals than --width
    code, out, err = ours([*base[:-2], "-i", str(hyp), "-b"], capsys)
    assert code == 0, err
    assert len(out.strip().split(".")[1]) == 3 and -1 < float(out) < 2


def test_stdin_read_once(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = ours(["-r", str(files["ref"]), "-i", "-", "-"], capsys)
    assert code == 2 and "once" in err and out == ""
