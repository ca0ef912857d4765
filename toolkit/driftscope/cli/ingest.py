"""``driftscope segment``: decode, clean and split a file into one sentence per line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from driftscope.cli import app
from driftscope.cli._common import check_output_path, emit


@app.command("segment")
def segment_cmd(
    path: Annotated[Path, typer.Argument(help="Text file in any supported encoding.")],
    lang: Annotated[
        str | None, typer.Option("--lang", "-l", help="ISO 639-1 code; detected if omitted.")
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="lines (one sentence per line, blank line between paragraphs) or jsonl "
            "(text, span, paragraph, language per segment).",
        ),
    ] = "lines",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here (atomically), not stdout.")
    ] = None,
) -> None:
    """Decode, clean (NFC) and split a text into sentences, ready for --presegmented."""
    from driftscope.errors import ConfigError
    from driftscope.ingest import read_document

    if fmt not in ("lines", "jsonl"):
        raise ConfigError(f"--format must be lines or jsonl, not {fmt!r}")
    if out is not None:
        check_output_path(out, [path])
    doc = read_document(path, lang)
    rows: list[str] = []
    if fmt == "jsonl":
        for s in doc.segments:
            obj = {
                "index": s.index,
                "text": s.text,
                "start": s.char_start,
                "end": s.char_end,
                "paragraph": s.paragraph,
                "lang": s.lang,
                "lang_prob": s.lang_prob,
            }
            rows.append(json.dumps(obj, ensure_ascii=False))
    else:
        prev = doc.segments[0].paragraph
        for s in doc.segments:
            if s.paragraph != prev:
                rows.append("")
                prev = s.paragraph
            rows.append(s.text)
    emit("\n".join(rows) + "\n", out, [path])
