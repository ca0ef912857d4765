"""Enforce the one-way data flow: ingest -> embed -> align -> score/quality -> report.

Imports are parsed with ``ast``; each layer may import only the leaf layer and the layers named
for it. ``pipeline`` is the only module that joins stages; ``cli`` sits on top.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "toolkit" / "driftscope"
LEAF = {"errors", "model", "_version", "config"}
ALLOWED = {
    "ingest": LEAF | {"ingest"},
    "embed": LEAF | {"embed"},
    "align": LEAF | {"align", "embed"},
    "evaluate": LEAF,
    "score": LEAF | {"score", "embed", "ingest", "quality"},
    "quality": LEAF | {"quality", "embed", "ingest"},
    "report": LEAF | {"report"},
    "coverage": LEAF | {"coverage", "align", "embed", "ingest", "evaluate"},
    # above pipeline, below cli: runs pipeline.run_documents per document
    "corpus": LEAF | {"corpus", "pipeline", "ingest", "embed", "coverage", "report"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "driftscope" and len(parts) > 1:
                out.add(parts[1])
    return out


def test_stage_imports_respect_layers() -> None:
    bad = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        layer = rel.parts[0].removesuffix(".py")
        if layer not in ALLOWED:
            continue
        extra = _imports(path) - ALLOWED[layer]
        if extra:
            bad.append(f"{rel}: imports {sorted(extra)}")
    assert not bad, "layering violations:\n" + "\n".join(bad)


def test_leaf_modules_import_stdlib_only() -> None:
    for name in ("errors.py", "model.py"):
        assert _imports(PKG / name) <= {"errors", "model"}, name


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(out.stdout.split())


def test_import_and_help_do_not_load_torch() -> None:
    mods = _modules_after(
        "import driftscope, driftscope.ingest, driftscope.embed, driftscope.model"
        ", driftscope.corpus"
    )
    assert not {"torch", "sentence_transformers", "transformers", "ray", "pyarrow"} & mods
    code = (
        "import sys\nfrom driftscope.cli import run\n"
        "sys.argv=['driftscope','--help']\ntry:\n    run(['--help'])\nexcept SystemExit:\n    pass"
    )
    mods = _modules_after(code)
    assert not {"torch", "sentence_transformers", "transformers", "sklearn"} & mods
