"""Bad input for every command that reads files, run as real subprocesses (real stderr, hangs
caught by a timeout).

The matrix: for each of segment, score, align, flags, report and coverage (those registered),
an empty file, a whitespace-only file, a binary file (PNG header, NUL bytes), undecodable bytes,
a huge line with no punctuation, a missing file, a folder instead of a file, a language option
the text contradicts, an output path under a regular file, an output path that is an input, and
an output path that is a folder. Every error must end with exit code 2 (3: encoder unavailable),
exactly one stderr line starting with ``driftscope: error:``, nothing on stdout, no traceback,
and the working folder byte-for-byte and mtime-for-mtime as it was (no input touched, no partial
output, no temporary file left).

Error paths must not reach the encoder: every error case runs with ``DRIFTSCOPE_HOME`` pointing
at a regular file, so a command that loads the model before validating its input or output ends
with exit code 3 (encoder unavailable) instead of the expected input error, and fails fast
without building a model. UTF-16 with BOM, cp1251 Russian and NFD Vietnamese must work; the
model-backed commands check that with the fast ``hash`` encoder where they have an encoder
option.

Tests marked ``xfail(strict=True)`` pin bugs in landed commands; each names the file to fix. When
the bug is fixed the test XPASSes, strict mode fails it, and the marker must go.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import CORPUS

TIMEOUT = 60  # seconds; every error case here takes about one second
HEAVY = ("torch", "sentence_transformers", "transformers")

# Runs the CLI exactly as ``driftscope.cli.main`` does, then records which heavy modules the
# process imported (an error path that imported torch validated its input too late).
WRAPPER = r"""
import json, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
from driftscope.cli import run
rc = run(sys.argv[2:])
heavy = sorted(m for m in HEAVY if m in sys.modules)
with open(sys.argv[1], "w", encoding="utf-8") as fh:
    json.dump({"rc": rc, "heavy": heavy}, fh)
sys.exit(rc)
""".replace("HEAVY", repr(HEAVY))


def _registered() -> set[str]:
    from driftscope.cli import _register, app

    _register()
    return {c.name or c.callback.__name__ for c in app.registered_commands}


REGISTERED = _registered()
LANDED_PENDING: set[str] = set()  # commands still being written: failures skipped, reported


def _lines(lang: str, n: int = 8) -> list[str]:
    text = (CORPUS / "segments" / f"{lang}.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()][:n]


RU, EN, VI = _lines("ru"), _lines("en"), _lines("vi")
_RU_WORDS = " ".join(RU[2:4]).replace(".", " ").replace(",", " ").replace("«", "").replace("»", "")
HUGE_RU = (" ".join(_RU_WORDS.split()) + " ") * (200_000 // len(_RU_WORDS) + 1)
HUGE_RU = HUGE_RU[:200_000].strip()  # one 200k-character Russian line, no sentence punctuation
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)) * 4


def _text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


BAD_CONTENT: dict[str, bytes | None] = {
    "empty": b"",
    "whitespace": b"  \n\t\n \r\n\n",
    "binary": PNG,
    "undecodable": bytes(range(0x80, 0x100)) * 8,
    "huge_line": (HUGE_RU + "\n").encode("utf-8"),
    "missing": None,  # no file at that path
    "folder": None,  # a folder at that path
    "wrong_lang": _text(VI).encode("utf-8"),  # Vietnamese text given as Russian
}
OUTPUT_CASES = ("out_under_file", "out_is_input", "out_is_folder")


# --------------------------------------------------------------------------- commands
# Each builds argv from (path of the Russian input, path of the English input, output path,
# language of the first input). The first input is the one made bad.
Argv = Callable[[str, str, str, str], list[str]]
COMMANDS: dict[str, Argv] = {
    "segment": lambda a, b, out, la: ["segment", a, "--lang", la, "-o", out],
    "score": lambda a, b, out, la: [
        *("score", "-s", a, "-r", b, "-i", b, "-m", "bleu", "sim"),
        *("--src-lang", la, "--tgt-lang", "en", "-o", out),
    ],
    "align": lambda a, b, out, la: [
        *("align", a, b, "--src-lang", la, "--tgt-lang", "en", "-o", out),
    ],
    "flags": lambda a, b, out, la: [
        *("flags", a, b, "--src-lang", la, "--tgt-lang", "en", "-o", out),
    ],
    "report": lambda a, b, out, la: ["report", a, b, "--lang", la, "--lang", "en", "-o", out],
    "coverage": lambda a, b, out, la: ["coverage", "--original", a, "--version", b, "-o", out],
}
OUT_IS_FOLDER = {"report"}  # report's -o is a folder; the others write one file
NO_LANG_OPTION = {"coverage"}  # languages are detected; nothing to contradict

_LATE_OUTPUT = (
    "{file} validates -o only when writing, after loading the encoder and computing "
    "everything (exit 3 here instead of 2); check the output path (check_output_path) before "
    "reading inputs"
)
KNOWN_BUGS: dict[tuple[str, str], str] = {}


def _matrix() -> list:
    params = []
    for cmd in COMMANDS:
        cases = list(BAD_CONTENT) + [c for c in OUTPUT_CASES]
        for case in cases:
            if case == "wrong_lang" and cmd in NO_LANG_OPTION:
                continue
            if case == "out_is_folder" and cmd in OUT_IS_FOLDER:
                continue
            if case == "huge_line" and cmd == "score":
                continue  # line-parallel: see test_score_huge_line
            marks = []
            if cmd not in REGISTERED:
                marks.append(pytest.mark.skip(reason=f"`driftscope {cmd}` is not registered yet"))
            elif (cmd, case) in KNOWN_BUGS and cmd in LANDED_PENDING:
                marks.append(pytest.mark.skip(reason=f"not landed; {KNOWN_BUGS[(cmd, case)]}"))
            elif (cmd, case) in KNOWN_BUGS:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[(cmd, case)]))
            params.append(pytest.param(cmd, case, id=f"{cmd}-{case}", marks=marks))
    return params


# --------------------------------------------------------------------------- helpers
def _tree(root: Path) -> dict[str, tuple[str, bytes, int]]:
    """Every path under ``root``: kind, bytes (files) and mtime in ns."""
    out = {}
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        kind = "dir" if p.is_dir() else "file"
        out[str(p.relative_to(root))] = (
            kind,
            p.read_bytes() if kind == "file" else b"",
            st.st_mtime_ns,
        )
    return out


def _env(home: Path | None) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # the subprocess runs in the work folder: a relative PYTHONPATH=toolkit would no longer
    # find this checkout (and silently test an installed copy instead)
    toolkit = str(Path(__file__).resolve().parents[2] / "toolkit")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (toolkit, env.get("PYTHONPATH", "")) if p)
    if home is not None:
        env["DRIFTSCOPE_HOME"] = str(home)
    return env


def drive(
    args: list[str], cwd: Path, marker: Path, home: Path | None, timeout: float = TIMEOUT
) -> tuple[int, str, str, list[str] | None]:
    """Run the CLI in a subprocess: exit code, stdout, stderr, heavy modules imported."""
    marker.unlink(missing_ok=True)
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(marker), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=_env(home),
    )
    heavy = json.loads(marker.read_text())["heavy"] if marker.exists() else None
    return proc.returncode, proc.stdout, proc.stderr, heavy


def assert_one_line_error(code: int, out: str, err: str, expect_code: int = 2) -> None:
    assert "Traceback" not in err and "Traceback" not in out, err
    assert code == expect_code, f"exit {code}, stderr: {err!r}"
    assert err.startswith("driftscope: error: "), err
    assert err.endswith("\n") and err.count("\n") == 1, f"not one line: {err!r}"
    assert out == "", out


@pytest.fixture()
def work(tmp_path: Path) -> dict[str, Path]:
    """Inputs in ``tmp_path/w``; a regular file stands in for DRIFTSCOPE_HOME."""
    w = tmp_path / "w"
    w.mkdir()
    (w / "ru.txt").write_text(_text(RU), encoding="utf-8")
    (w / "en.txt").write_text(_text(EN), encoding="utf-8")
    (w / "plain.txt").write_text("not a folder\n", encoding="utf-8")
    (w / "outdir").mkdir()
    home = tmp_path / "home-is-a-file"
    home.write_text("", encoding="utf-8")
    return {"w": w, "home": home, "marker": tmp_path / "marker.json"}


def _case_paths(case: str, cmd: str, w: Path) -> tuple[str, str, str, str]:
    """(bad input, good input, output, language of the bad input) for a case."""
    ru, en = str(w / "ru.txt"), str(w / "en.txt")
    default_out = str(w / ("report-out" if cmd in OUT_IS_FOLDER else "out.txt"))
    if case in BAD_CONTENT:
        bad = w / f"bad-{case}.txt"
        data = BAD_CONTENT[case]
        if case == "folder":
            bad.mkdir()
        elif data is not None:
            bad.write_bytes(data)
        return str(bad), en, default_out, "ru"
    out = {
        "out_under_file": str(w / "plain.txt" / "out"),
        "out_is_input": ru,
        "out_is_folder": str(w / "outdir"),
    }[case]
    return ru, en, out, "ru"


# --------------------------------------------------------------------------- the matrix
@pytest.mark.parametrize(("cmd", "case"), _matrix())
def test_error_case(cmd: str, case: str, work: dict[str, Path]) -> None:
    w = work["w"]
    bad, good, out, lang = _case_paths(case, cmd, w)
    before = _tree(w)
    code, stdout, err, heavy = drive(
        COMMANDS[cmd](bad, good, out, lang), w, work["marker"], work["home"]
    )
    assert_one_line_error(code, stdout, err)
    assert heavy == [], f"error path imported {heavy}: validate before loading the model"
    assert _tree(w) == before, "an input changed or an output was (partly) written"
    # the message names the offending path
    named = {
        "out_under_file": out,
        "out_is_input": out,
        "out_is_folder": out,
    }.get(case, bad)
    assert Path(named).name in err, err


# --------------------------------------------------------------------------- score specifics
def test_score_mismatched_line_counts(work: dict[str, Path]) -> None:
    w = work["w"]
    short = w / "short.txt"
    short.write_text(_text(EN[:3]), encoding="utf-8")
    before = _tree(w)
    for args in (
        ["-r", str(w / "en.txt"), "-i", str(short), "-m", "bleu", "sim"],
        ["-r", str(w / "en.txt"), "-i", str(w / "en.txt"), "-s", str(short), "-m", "sim"],
    ):
        code, out, err, heavy = drive(["score", *args], w, work["marker"], work["home"])
        assert_one_line_error(code, out, err)
        assert "short.txt" in err and "en.txt" in err and "3" in err and "8" in err, err
        assert heavy == []
    assert _tree(w) == before


def test_score_huge_line(work: dict[str, Path]) -> None:
    w = work["w"]
    huge = w / "huge.txt"
    huge.write_text(HUGE_RU + "\n", encoding="utf-8")
    before = _tree(w)
    args = ["score", "-r", str(huge), "-i", str(huge), "-m", "bleu", "chrf", "ter"]
    try:
        code, out, err, _ = drive(args, w, work["marker"], work["home"], timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("score hangs on a 200k-character line")
    assert_one_line_error(code, out, err)
    assert "huge.txt" in err
    assert _tree(w) == before


# --------------------------------------------------------------------------- encoder missing
MODEL_OPTION = {
    "score": "--model",
    "align": "--model",
    "flags": "--encoder",
    "coverage": "--encoder",
    "report": "--model",
}


@pytest.mark.parametrize(
    "cmd",
    [
        pytest.param(
            c,
            marks=(
                [pytest.mark.skip(reason=f"`driftscope {c}` is not registered yet")]
                if c not in REGISTERED
                else []
            ),
        )
        for c in MODEL_OPTION
    ],
)
def test_unknown_model_exit_3_without_network_hang(cmd: str, work: dict[str, Path]) -> None:
    """An unknown hub id ends at once with exit 3 (no download attempt, no hang), even without
    HF_HUB_OFFLINE set; the default user cache (a working DRIFTSCOPE_HOME) is used."""
    w = work["w"]
    before = _tree(w)
    args = COMMANDS[cmd](str(w / "ru.txt"), str(w / "en.txt"), str(w / "out.txt"), "ru")
    args += [MODEL_OPTION[cmd], "does-not-exist/model"]
    code, out, err, _ = drive(args, w, work["marker"], home=None, timeout=60)
    assert_one_line_error(code, out, err, expect_code=3)
    assert "does-not-exist/model" in err
    assert _tree(w) == before


# --------------------------------------------------------------------------- usage errors
@pytest.mark.parametrize(
    "args",
    [
        ["segment"],  # missing argument
        ["no-such-command"],
        ["segment", "x.txt", "--no-such-option"],
        ["score", "-r", "en.txt", "-i", "en.txt", "-w", "99"],  # out of range
        ["report", "en.txt"],  # missing -o
        ["segment", "ru.txt", "--format", "xml"],
    ],
    ids=[
        "missing-arg",
        "unknown-command",
        "unknown-option",
        "bad-value",
        "missing-option",
        "bad-format",
    ],
)
def test_usage_errors_are_one_line(args: list[str], work: dict[str, Path]) -> None:
    code, out, err, heavy = drive(args, work["w"], work["marker"], work["home"])
    assert_one_line_error(code, out, err)
    assert heavy == []


def test_bare_command_prints_help(work: dict[str, Path]) -> None:
    code, out, err, _ = drive([], work["w"], work["marker"], work["home"])
    assert code == 2 and "Usage" in out and "segment" in out
    assert "Traceback" not in err


# --------------------------------------------------------------------------- report inputs
@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("bad.json", b"{not json"),
        ("binary.json", PNG),
        ("other.json", b'{"a": 1}'),
        ("manifest.toml", b"id = 'x'\n[[versions]]\n"),
        ("missing.toml", None),
        ("missing.json", None),
        ("missing-corpus", None),
    ],
)
def test_report_bad_single_input(name: str, data: bytes | None, work: dict[str, Path]) -> None:
    w = work["w"]
    if data is not None:
        (w / name).write_bytes(data)
    before = _tree(w)
    code, out, err, heavy = drive(
        # the output outside w: a manifest's folder is an input folder (refused as the output)
        ["report", str(w / name), "-o", str(w.parent / "rep")],
        w,
        work["marker"],
        work["home"],
    )
    assert_one_line_error(code, out, err)
    assert name in err and heavy == []
    assert _tree(w) == before


@pytest.mark.parametrize("cmd", ["report", "coverage"])
def test_progress_leaves_no_blank_line_on_stderr(cmd: str, work: dict[str, Path]) -> None:
    """report and coverage draw progress bars; on a stderr that is not a terminal nothing of
    them may show, not even the blank line a transient rich bar leaves before the error."""
    w = work["w"]
    if cmd == "report":
        args = ["report", str(w / "missing.toml"), "-o", str(w / "rep")]
        expect = 2
    else:
        args = ["coverage", "--original", str(w / "ru.txt"), "--version", str(w / "en.txt")]
        args += ["--encoder", "does-not-exist/model"]
        expect = 3
    code, out, err, _ = drive(args, w, work["marker"], work["home"])
    assert_one_line_error(code, out, err, expect_code=expect)


# --------------------------------------------------------------------------- must work
def _encodings(lang_text: dict[str, list[str]]) -> dict[str, tuple[bytes, str, list[str]]]:
    """name -> (bytes on disk, language, the NFC lines they must decode to)."""
    ru, vi = lang_text["ru"], lang_text["vi"]
    vi_nfd = unicodedata.normalize("NFD", _text(vi))
    assert vi_nfd != _text(vi)  # the NFD file really differs from the NFC one
    return {
        "utf16-bom": (_text(ru).encode("utf-16"), "ru", ru),
        "cp1251": (_text(ru).encode("cp1251"), "ru", ru),
        "nfd-vi": (vi_nfd.encode("utf-8"), "vi", vi),
    }


ENCODINGS = _encodings({"ru": RU, "vi": VI})


def _write_pair(w: Path, enc: str) -> tuple[Path, Path, str]:
    """The odd encoding and its UTF-8 NFC twin, under the same name in two folders."""
    data, lang, lines = ENCODINGS[enc]
    odd, clean = w / f"odd-{enc}" / "src.txt", w / f"clean-{enc}" / "src.txt"
    odd.parent.mkdir()
    clean.parent.mkdir()
    odd.write_bytes(data)
    clean.write_text(_text(lines), encoding="utf-8")
    return odd, clean, lang


@pytest.mark.parametrize("enc", list(ENCODINGS))
def test_encodings_segment_and_score(enc: str, work: dict[str, Path]) -> None:
    w, m, home = work["w"], work["marker"], work["home"]
    odd, clean, lang = _write_pair(w, enc)
    before = _tree(w)
    code, out, err, _ = drive(["segment", str(odd), "--lang", lang], w, m, home)
    assert code == 0, err
    code2, out2, _, _ = drive(["segment", str(clean), "--lang", lang], w, m, home)
    assert code2 == 0 and out == out2
    assert unicodedata.is_normalized("NFC", out)
    # the decoded hypothesis equals the UTF-8 reference character for character
    code, out, err, _ = drive(
        ["score", "-q", "-r", str(clean), "-i", str(odd), "-m", "chrf", "-b"], w, m, home
    )
    assert code == 0 and out.strip() == "100.0", err
    assert _tree(w) == before


@pytest.mark.parametrize("cmd", ["align", "flags", "coverage"])
@pytest.mark.parametrize("enc", list(ENCODINGS))
def test_encodings_model_commands(cmd: str, enc: str, work: dict[str, Path]) -> None:
    """Same output for the odd encoding as for its UTF-8 NFC twin (fast ``hash`` encoder)."""
    if cmd not in REGISTERED:
        pytest.skip(f"`driftscope {cmd}` is not registered yet")
    w, m = work["w"], work["marker"]
    odd, clean, lang = _write_pair(w, enc)
    en = w / "en.txt"
    before = _tree(w)
    outs = []
    for src in (odd, clean):
        if cmd == "coverage":
            args = [
                "coverage",
                "-q",
                "--original",
                str(src),
                "--version",
                str(en),
                "--encoder",
                "hash",
            ]
        elif cmd == "align":
            args = ["align", "-q", str(src), str(en), "--src-lang", lang, "--tgt-lang", "en"]
            args += ["--model", "hash", "-f", "tsv"]
        else:
            args = ["flags", str(src), str(en), "--src-lang", lang, "--tgt-lang", "en"]
            args += ["--encoder", "hash", "-f", "jsonl", "--severity", "low"]
        code, out, err, _ = drive(args, w, m, home=None)
        assert code == 0, err
        assert "Traceback" not in err
        outs.append(out.replace(str(src.parent), "DIR"))
    assert outs[0] == outs[1]
    assert outs[0].strip()
    if cmd != "coverage":
        assert any(line in outs[0] for line in ENCODINGS[enc][2])  # texts decoded to NFC
    assert _tree(w) == before


def test_encodings_report(work: dict[str, Path]) -> None:
    """report on UTF-16 Russian against NFD Vietnamese, and cp1251 Russian against English: the
    documents in report.json hold the NFC texts (fast ``hash`` encoder)."""
    w, m = work["w"], work["marker"]
    u16, _, _ = _write_pair(w, "utf16-bom")
    nfd, _, _ = _write_pair(w, "nfd-vi")
    cp, _, _ = _write_pair(w, "cp1251")
    before = _tree(w)
    for src, tgt, langs, want in [
        (u16, nfd, ("ru", "vi"), (RU, VI)),
        (cp, w / "en.txt", ("ru", "en"), (RU, EN)),
    ]:
        out = w.parent / f"rep-{src.parent.name}"
        args = ["report", "-q", str(src), str(tgt), "-l", langs[0], "-l", langs[1]]
        code, _, err, _ = drive([*args, "-o", str(out), "--model", "hash"], w, m, home=None)
        assert code == 0, err
        assert "Traceback" not in err
        doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
        texts = [[s["text"] for s in d["segments"]] for d in doc["documents"]]
        assert texts == [list(want[0]), list(want[1])]
        assert [d["lang"] for d in doc["documents"]] == list(langs)
    assert _tree(w) == before


# --------------------------------------------------------------------------- outputs inside inputs
def _corpus(w: Path) -> Path:
    """A copy of the bundled corpus inside the work folder (so its tree is checked too)."""
    import shutil

    dst = w / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst


# (id, argv builder from the work folder): every command that writes, with an output equal to
# or inside an input folder, or under an input file. Each must end before reading the inputs.
INSIDE_CASES: dict[str, Callable[[Path], list[str]]] = {
    "report-out-is-corpus": lambda w: ["report", str(w / "corpus"), "-o", str(w / "corpus")],
    "report-out-in-corpus": lambda w: ["report", str(w / "corpus"), "-o", str(w / "corpus" / "r")],
    "report-out-in-manifest-folder": lambda w: [
        *("report", str(w / "corpus" / "manifest.toml"), "-o", str(w / "corpus" / "segments")),
    ],
    "flags-out-in-corpus": lambda w: [
        *("flags", str(w / "corpus"), "-o", str(w / "corpus" / "flags.txt")),
    ],
    "flags-out-in-manifest-folder": lambda w: [
        *("flags", str(w / "corpus" / "manifest.toml"), "--out", str(w / "corpus" / "f.txt")),
    ],
    "segment-out-under-input": lambda w: [
        *("segment", str(w / "ru.txt"), "-o", str(w / "ru.txt" / "x")),
    ],
    "align-out-under-input": lambda w: [
        *("align", str(w / "ru.txt"), str(w / "en.txt"), "-o", str(w / "en.txt" / "x")),
    ],
    "score-out-under-input": lambda w: [
        *("score", "-r", str(w / "en.txt"), "-i", str(w / "en.txt"), "-o", str(w / "en.txt/x")),
    ],
    "coverage-out-under-input": lambda w: [
        *("coverage", "--original", str(w / "ru.txt"), "--version", str(w / "en.txt")),
        *("-o", str(w / "ru.txt" / "x")),
    ],
    "eval-align-out-is-input": lambda w: [
        *("eval-align", str(w / "corpus" / "gold" / "ru-en.beads")),
        *(str(w / "corpus" / "gold" / "ru-vi.beads"), "-o", str(w / "corpus" / "gold")),
    ],
    "eval-align-out-is-gold": lambda w: [
        *("eval-align", str(w / "corpus" / "gold" / "ru-en.beads")),
        *(str(w / "corpus" / "gold" / "ru-vi.beads")),
        *("-o", str(w / "corpus" / "gold" / "ru-en.beads")),
    ],
}


@pytest.mark.parametrize("case", list(INSIDE_CASES))
def test_output_inside_an_input_is_refused(case: str, work: dict[str, Path]) -> None:
    w = work["w"]
    _corpus(w)
    before = _tree(w)
    code, out, err, heavy = drive(INSIDE_CASES[case](w), w, work["marker"], work["home"])
    assert_one_line_error(code, out, err)
    assert heavy == [], f"error path imported {heavy}: validate before loading the model"
    assert _tree(w) == before, "an input changed or an output was (partly) written"


def test_rerender_refuses_to_change_the_saved_run(work: dict[str, Path]) -> None:
    """``report OUT/report.json -o OUT --severity high`` would rewrite its own input: refused
    before any file is written (re-rendering it unchanged into OUT is allowed)."""
    w, m, home = work["w"], work["marker"], work["home"]
    saved = Path(__file__).resolve().parents[1] / "data" / "report_chain.json"
    out = w / "rep"
    code, _, err, _ = drive(["report", "-q", str(saved), "-o", str(out)], w, m, home)
    assert code == 0, err
    before = _tree(w)
    code, _, err, _ = drive(["report", "-q", str(out / "report.json"), "-o", str(out)], w, m, home)
    assert code == 0, err
    after = _tree(w)
    assert after["rep/report.json"] == before["rep/report.json"]  # the input is left alone
    before = after
    args = ["report", str(out / "report.json"), "-o", str(out), "--severity", "high"]
    code, stdout, err, _ = drive(args, w, m, home)
    assert_one_line_error(code, stdout, err)
    assert "report.json" in err
    assert _tree(w) == before


# --------------------------------------------------------------------------- parse-time ranges
@pytest.mark.parametrize(
    "args",
    [
        ["align", "ru.txt", "en.txt", "--skip", "0.7"],
        ["align", "ru.txt", "en.txt", "--skip", "-0.1"],
        ["align", "ru.txt", "en.txt", "--max-bead", "1"],
        ["align", "ru.txt", "en.txt", "--band", "0"],
        ["align", "ru.txt", "en.txt", "--merge-penalty", "-1"],
        ["report", "ru.txt", "en.txt", "-o", "rep", "--seed", "-1"],
        ["flags", "ru.txt", "en.txt", "--seed", "-3"],
        ["score", "-r", "en.txt", "-i", "en.txt", "--paired-bs-n", "0"],
        ["score", "-r", "en.txt", "-i", "en.txt", "--chrf-char-order", "-1"],
    ],
    ids=lambda a: "-".join(x.lstrip("-") for x in a if x.startswith("--") or x in ("align",)),
)
def test_numeric_options_range_checked_at_parse_time(
    args: list[str], work: dict[str, Path]
) -> None:
    w = work["w"]
    before = _tree(w)
    code, out, err, heavy = drive(args, w, work["marker"], work["home"])
    assert_one_line_error(code, out, err)
    assert heavy == []
    assert _tree(w) == before


# --------------------------------------------------------------------------- short stated text
SHORT_RU = "Привет, мир.\nКак дела?\n"
SHORT_EN = "Hello, world.\nHow are you?\n"


@pytest.mark.parametrize("cmd", ["segment", "align", "flags", "report", "score"])
def test_short_text_keeps_the_stated_language(cmd: str, work: dict[str, Path]) -> None:
    """Two short Russian lines stated as ru: the detector (it says 'mk' here) is not trusted on
    17 letters, so the stated language stands (exit 0, a warning at most)."""
    w, m = work["w"], work["marker"]
    (w / "s.ru").write_text(SHORT_RU, encoding="utf-8")
    (w / "s.en").write_text(SHORT_EN, encoding="utf-8")
    ru, en = str(w / "s.ru"), str(w / "s.en")
    langs = ["--src-lang", "ru", "--tgt-lang", "en"]
    args = {
        "segment": ["segment", ru, "--lang", "ru"],
        "align": ["align", ru, en, *langs, "--model", "hash"],
        "flags": ["flags", ru, en, *langs, "--encoder", "hash"],
        "report": ["report", ru, en, "-l", "ru", "-l", "en", "--model", "hash"],
        "score": ["score", "-s", ru, "-r", en, "-i", en, "-m", "chrf", *langs],
    }[cmd]
    if cmd == "report":
        args += ["-o", str(w.parent / "rep-short"), "-q"]
    code, out, err, _ = drive(args, w, m, home=None)
    assert code == 0, err
    assert "Traceback" not in err
    if cmd == "report":
        doc = json.loads((w.parent / "rep-short" / "report.json").read_text(encoding="utf-8"))
        assert [d["lang"] for d in doc["documents"]] == ["ru", "en"]


def test_report_two_files_detects_languages(work: dict[str, Path]) -> None:
    """``report a.txt b.txt`` without --lang detects both languages, as align does."""
    w, m = work["w"], work["marker"]
    out = w.parent / "rep-detect"
    args = ["report", "-q", str(w / "ru.txt"), str(w / "en.txt"), "-o", str(out)]
    code, _, err, _ = drive([*args, "--model", "hash"], w, m, home=None)
    assert code == 0, err
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [d["lang"] for d in doc["documents"]] == ["ru", "en"]
    code, stdout, err, _ = drive([*args, "-l", "ru"], w, m, work["home"])  # one --lang: unclear
    assert_one_line_error(code, stdout, err)


def test_flags_out_and_its_old_name(work: dict[str, Path]) -> None:
    w, m = work["w"], work["marker"]
    base = ["flags", str(w / "ru.txt"), str(w / "en.txt"), "--encoder", "hash", "--severity", "low"]
    texts = []
    for opt in ("-o", "--out", "--output"):
        dst = w.parent / f"flags{opt}.txt"
        code, _, err, _ = drive([*base, opt, str(dst)], w, m, home=None)
        assert code == 0, err
        texts.append(dst.read_text(encoding="utf-8"))
    assert texts[0] == texts[1] == texts[2]
    # --fail-on low: exit 1 and one stderr line that says how many flags and where they are
    dst = w.parent / "flags-fail.txt"
    code, out, err, _ = drive([*base, "-o", str(dst), "--fail-on", "low"], w, m, home=None)
    n = len(dst.read_text(encoding="utf-8").splitlines())
    assert code == 1 and out == "", err
    assert n > 0 and err.count("\n") == 1 and f"{n} flag" in err and str(dst) in err, err
