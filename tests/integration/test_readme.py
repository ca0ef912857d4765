"""Every example in README.md runs as written, so the README cannot drift from the code.

The test extracts each fenced block of README.md whose language is ``sh`` or ``python`` and runs
it from a scratch copy of the repository root (every top-level entry linked in, so the paths
the README names resolve; what the commands write lands in the scratch folder):

* ``sh`` blocks: one command per line (a trailing ``\\`` continues it, ``#`` starts a comment,
  ``< FILE`` feeds a file to standard input; no other shell syntax).
  Lines starting with ``make`` are skipped (they set up the environment this suite runs in).
  Every other command must start with ``driftscope``; it runs as the console script of the
  Python running the tests, with this checkout's ``toolkit`` first on ``PYTHONPATH``. It must
  exit 0, or 0 or 1 when it has ``--fail-on`` (exit 1 is its documented answer to flags found).
* ``python`` blocks run with that Python; they must exit 0.

A block that must not run (an illustration, a command needing data the repository does not
ship) is marked by the HTML comment ``<!-- no-test -->`` on the line before its opening fence
(blank lines between are allowed). The marker is invisible in rendered Markdown.

The blocks of one file run in order in the same scratch folder, so a command may read what an
earlier one wrote (``driftscope report out/nato/report.json`` after the first report). The
encoder's embedding cache (``~/.cache/driftscope``) makes repeated texts cheap.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import REPO

README = REPO / "README.md"
NO_TEST = "<!-- no-test -->"
TIMEOUT = 900  # seconds per command; the slowest is a full report of the bundled corpus
_FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass(frozen=True)
class Block:
    lang: str
    line: int  # 1-based line of the opening fence
    text: str


def blocks(markdown: str) -> list[Block]:
    """Fenced code blocks in order, without those marked ``<!-- no-test -->``."""
    out: list[Block] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, body = i, []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1  # the closing fence
        prev = next((ln.strip() for ln in reversed(lines[:start]) if ln.strip()), "")
        if prev != NO_TEST:
            out.append(Block(m.group(1), start + 1, "\n".join(body) + "\n"))
    return out


def shell_commands(text: str) -> list[list[str]]:
    """argv of each command of a ``sh`` block (continuations joined, comments dropped)."""
    joined = re.sub(r"\\\n", " ", text)
    cmds = []
    for line in joined.splitlines():
        argv = shlex.split(line, comments=True)
        if argv and argv[0] != "make":
            cmds.append(argv)
    return cmds


def split_stdin(argv: list[str]) -> tuple[list[str], str | None]:
    """(argv without ``< FILE``, FILE or None)."""
    if "<" not in argv:
        return argv, None
    k = argv.index("<")
    return argv[:k] + argv[k + 2 :], argv[k + 1]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "toolkit"), env.get("PYTHONPATH", "")])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _driftscope() -> list[str]:
    script = Path(sys.executable).parent / "driftscope"
    return [str(script)] if script.exists() else [sys.executable, "-m", "driftscope"]


def _scratch_root(tmp: Path) -> Path:
    """A folder that looks like the repository root: every top-level entry linked in."""
    root = tmp / "repo"
    root.mkdir()
    for entry in REPO.iterdir():
        if entry.name not in (".git", "out") and not entry.name.startswith(".venv"):
            (root / entry.name).symlink_to(entry)
    return root


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_readme_has_runnable_examples() -> None:
    found = blocks(README.read_text(encoding="utf-8"))
    kinds = {b.lang for b in found}
    assert {"sh", "python"} <= kinds, kinds
    cmds = [c for b in found if b.lang == "sh" for c in shell_commands(b.text)]
    assert len(cmds) >= 6 and all(c[0] == "driftscope" for c in cmds), cmds


def test_blocks_parser_honours_the_marker() -> None:
    md = "```sh\ndriftscope a\n```\n<!-- no-test -->\n\n```sh\ndriftscope b \\\n  --x 1 # c\n```\n"
    assert [b.text for b in blocks(md)] == ["driftscope a\n"]
    assert shell_commands("driftscope b \\\n  --x 1  # c\nmake demo\n") == [
        ["driftscope", "b", "--x", "1"]
    ]
    assert split_stdin(["driftscope", "s", "<", "f", "-q"]) == (["driftscope", "s", "-q"], "f")


def test_every_readme_example_runs(tmp_path: Path) -> None:
    root = _scratch_root(tmp_path)
    corpora = _tree(REPO / "corpora")
    env = _env()
    ran = 0
    for block in blocks(README.read_text(encoding="utf-8")):
        if block.lang == "sh":
            for argv in shell_commands(block.text):
                assert argv[0] == "driftscope", f"README.md:{block.line}: {shlex.join(argv)}"
                args, stdin = split_stdin(argv)
                with open(root / stdin, "rb") if stdin else open(os.devnull, "rb") as fh:
                    proc = subprocess.run(
                        [*_driftscope(), *args[1:]], cwd=root, env=env, capture_output=True,
                        timeout=TIMEOUT, stdin=fh,
                    )  # fmt: skip
                proc_err = proc.stderr.decode("utf-8", "replace")
                ok = {0, 1} if "--fail-on" in argv else {0}
                assert proc.returncode in ok, (
                    f"README.md:{block.line}: `{shlex.join(argv)}` exited {proc.returncode}\n"
                    f"{proc_err[-2000:]}"
                )
                assert "Traceback" not in proc_err, proc_err
                ran += 1
        elif block.lang == "python":
            proc = subprocess.run(
                [sys.executable, "-c", block.text], cwd=root, env=env, capture_output=True,
                text=True, timeout=TIMEOUT,
            )  # fmt: skip
            assert proc.returncode == 0, f"README.md:{block.line}: python block\n{proc.stderr}"
            ran += 1
    assert ran >= 7
    assert _tree(REPO / "corpora") == corpora, "a README example changed an input"
