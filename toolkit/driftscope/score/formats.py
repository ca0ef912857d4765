"""Render scores as text, JSON, JSONL or TSV, byte for byte like sacrebleu where it has an
equivalent. Score layer: returns strings and never prints (the CLI writes them).

Equivalents: a single system's corpus scores are sacrebleu's ``Score.format`` lines (aligned on
'=') or JSON objects; several systems give sacrebleu's table (``fancy_grid``, no colours) plus
the metric signatures; paired tests add sacrebleu's explanation; sentence-level text is
sacrebleu's ``--sentence-level`` line per segment.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from driftscope.errors import ConfigError
from driftscope.score.corpus import MetricScore, SegmentScore, SystemScore
from driftscope.score.significance import PairedResults

FORMATS = ("text", "json", "jsonl", "tsv")
# sim is on a 0-1 scale (the reports' calibrated similarity), the others on 0-100: two more
# decimals give it the resolution of a 0-100 metric printed at the same --width.
SIM_EXTRA_DECIMALS = 2


def decimals(name: str, width: int) -> int:
    """Decimals for score ``name`` at sacrebleu's ``--width``."""
    return width + SIM_EXTRA_DECIMALS if name == "sim" else width


def format_score(
    ms: MetricScore, width: int = 1, *, short: bool = False, score_only: bool = False,
    is_json: bool = False, extra: Mapping[str, Any] | None = None,
) -> str:  # fmt: skip
    """sacrebleu's ``Score.format`` for a frozen score (``extra`` keys end the JSON object)."""
    sig = ms.signature_short if short and not is_json else ms.signature
    sc = f"{ms.score:.{decimals(ms.name, width)}f}"
    d: dict[str, Any] = {"name": ms.name, "score": float(sc), "signature": sig}
    full = f"{ms.name}|{sig} = {sc}" if sig else f"{ms.name} = {sc}"
    if ms.verbose:
        full += f" {ms.verbose}"
        d["verbose_score"] = ms.verbose
    if score_only:
        return sc
    if is_json:
        for param in sig.split("|"):
            key, value = param.split(":", 1)
            d[key] = value
        for key, value in (extra or {}).items():
            d[key] = value
        return json.dumps(d, indent=1, ensure_ascii=False)
    return full


def _align_on_equals(lines: list[str]) -> str:
    # sacrebleu's print_single_results: right-align everything left of the first '='.
    if len(lines) == 1:
        return lines[0]
    out, lens = [], []
    for line in lines:
        if "=" in line:
            lens.append((line.index("=") - 1, line))
        else:
            out.append(line)
    if lens:
        w = max(n for n, _ in lens)
        out += [f"{line[:n]:>{w}}{line[n:]}" for n, line in lens]
    return "\n".join(out)


def render_corpus(
    systems: Sequence[SystemScore], fmt: str = "text", width: int = 1, *, short: bool = False,
    score_only: bool = False, extra: Mapping[str, Any] | None = None,
) -> str:  # fmt: skip
    """Corpus scores. ``extra`` (e.g. detected languages) is added to JSON objects only."""
    _check(fmt, ("text", "json", "tsv"))
    if fmt == "tsv":
        head = ["system"] + [s.name for s in systems[0].scores]
        rows = [
            [sy.system] + [f"{s.score:.{decimals(s.name, width)}f}" for s in sy.scores]
            for sy in systems
        ]
        return _tsv(head, rows)
    if len(systems) == 1:
        sy = systems[0]
        is_json = fmt == "json"
        more = {"system": sy.system, **(extra or {})}
        lines = [
            format_score(s, width, short=short, score_only=score_only, is_json=is_json,
                         extra={**s.extra, **more} if is_json else None)
            for s in sy.scores
        ]  # fmt: skip
        if is_json:
            return "[\n" + ",\n".join(lines) + "\n]" if len(lines) > 1 else lines[0]
        return _align_on_equals(lines)
    table: dict[str, list[Any]] = {"System": [sy.system for sy in systems]}
    sigs: dict[str, str] = {}
    for sy in systems:
        for s in sy.scores:
            table.setdefault(s.name, []).append(f"{s.score:.{decimals(s.name, width)}f}")
            sigs[s.name] = s.signature_short if short else s.signature
    if fmt == "json":
        records = [{"system": name, **{k: v[i] for k, v in table.items() if k != "System"}}
                   for i, name in enumerate(table["System"])]  # fmt: skip
        return json.dumps(records, indent=4)
    return _table(table, width) + "\n\n" + _signatures(sigs)


def render_paired(
    res: PairedResults, fmt: str = "text", width: int = 1, *, short: bool = False
) -> str:
    """sacrebleu's paired-test output (table, explanation, signatures), JSON or TSV."""
    _check(fmt, ("text", "json", "tsv"))
    names = list(res.results)
    if fmt == "json":
        records = [{"system": sys_name, **{k: _result_dict(res.results[k][i]) for k in names}}
                   for i, sys_name in enumerate(res.systems)]  # fmt: skip
        return json.dumps(records, indent=4)
    if fmt == "tsv":
        head = ["system"] + [f"{k}{suffix}" for k in names for suffix in ("", "_p", "_mean", "_ci")]
        rows: list[list[str]] = []
        for i, sys_name in enumerate(res.systems):
            row = [sys_name]
            for k in names:
                r, w = res.results[k][i], decimals(k, width)
                row += [f"{r.score:.{w}f}"] + [
                    "" if v is None else f"{v:.{4 if j == 0 else w}f}"
                    for j, v in enumerate((r.p_value, r.mean, r.ci))
                ]
            rows.append(row)
        return _tsv(head, rows)
    table: dict[str, list[Any]] = {"System": list(res.systems)}
    is_bs = False
    for k in names:
        cells = []
        w = decimals(k, width)
        for r in res.results[k]:
            cell = f"{r.score:.{w}f}"
            if r.mean is not None:
                is_bs = True
                cell += f" ({r.mean:.{w}f} ± {r.ci:.{w}f})"
            if r.p_value is not None:
                msg = f"(p = {r.p_value:.4f})"
                cell += "\n" + (msg if r.p_value > 0.05 else msg + "*")
            cells.append(cell)
        table[k + " (μ ± 95% CI)" if is_bs else k] = cells
    sigs = res.signatures_short if short else res.signatures
    return "\n".join([_table(table, width), "", _paired_header(res), _signatures(dict(sigs))])


def render_segments(
    segs: Sequence[SegmentScore], fmt: str = "text", width: int = 1, *, short: bool = False,
    score_only: bool = False,
) -> str:  # fmt: skip
    """Sentence-level scores: sacrebleu's lines (text), one object per segment (jsonl/json) or a
    TSV row per segment. Scores are rounded to ``width`` like sacrebleu's JSON; qe to 4 places."""
    _check(fmt, FORMATS)
    if not segs:
        return ""
    if fmt == "text":
        multi = len({s.system for s in segs}) > 1
        lines = []
        for k in range(len(segs[0].scores)):
            for seg in segs:
                line = format_score(seg.scores[k], width, short=short, score_only=score_only)
                lines.append(f"{seg.system}\t{line}" if multi else line)
        return "\n".join(lines)
    objs = [_segment_dict(seg, width) for seg in segs]
    if fmt == "jsonl":
        return "\n".join(json.dumps(o, ensure_ascii=False) for o in objs)
    if fmt == "json":
        return json.dumps(objs, indent=1, ensure_ascii=False)
    head = list(objs[0])
    return _tsv(head, [["" if o[h] is None else str(o[h]) for h in head] for o in objs])


def _segment_dict(seg: SegmentScore, width: int) -> dict[str, Any]:
    d: dict[str, Any] = {"system": seg.system, "index": seg.index}
    for s in seg.scores:
        w = decimals(s.name, width)
        d[s.name] = float(f"{s.score:.{w}f}")
        if "raw" in s.extra:
            d[f"{s.name}_raw"] = float(f"{s.extra['raw']:.{w}f}")
    if seg.qe is not None:
        d["qe"] = round(seg.qe, 4)
    if seg.hallucination is not None and seg.omission is not None:
        d["p_hallucination"] = round(seg.hallucination, 4)
        d["p_omission"] = round(seg.omission, 4)
    if seg.detached is not None:
        d["p_detached"] = round(seg.detached, 4)
    return d


def _result_dict(r: Any) -> dict[str, Any]:
    return {"score": r.score, "p_value": r.p_value, "mean": r.mean, "ci": r.ci}


def _check(fmt: str, allowed: Sequence[str]) -> None:
    if fmt not in allowed:
        raise ConfigError(f"format {fmt!r} is not available here (choose from {list(allowed)})")


def _tsv(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def clean(x: str) -> str:
        return str(x).replace("\t", " ").replace("\n", " ")

    return "\n".join("\t".join(clean(c) for c in r) for r in [head, *rows])


def _table(table: dict[str, list[Any]], width: int) -> str:
    from tabulate import tabulate

    return str(
        tabulate(table, headers="keys", tablefmt="fancy_grid", colalign=("right",),
                 stralign="center", numalign="center",
                 floatfmt=[f".{decimals(k.split(' ')[0], width)}f" for k in table])
    )  # fmt: skip


def _signatures(sigs: Mapping[str, str]) -> str:
    lines = ["-----------------", "Metric signatures", "-----------------"]
    lines += [f" - {name:<10} {sig}" for name, sig in sigs.items()]
    return "\n".join(lines)


def _paired_header(res: PairedResults) -> str:
    bs = res.test == "bs"
    kind = "bootstrap resampling" if bs else "approximate randomization"
    msg = f"Paired {kind} test with {res.n_samples} {'resampling trials' if bs else 'trials'}"
    bl = res.systems[0]
    lines = ["-" * len(msg), msg, "-" * len(msg)]
    lines += [
        f" - Each system is pairwise compared to {bl}.",
        "   Actual system score / bootstrap estimated true mean / 95% CI are provided for each "
        "metric." if bs else "   Actual system score is provided for each metric.",
        "",
        " - Null hypothesis: the system and the baseline translations are essentially",
        "   generated by the same underlying process. For a given system and the baseline,",
        "   the p-value is roughly the probability of the absolute score difference (delta)",
        "   or higher occurring due to chance, under the assumption that the null hypothesis "
        "is correct.",
        "",
        " - Assuming a significance threshold of 0.05, the null hypothesis can be rejected",
        '   for p-values < 0.05 (marked with "*"). This means that the delta is unlikely to be '
        "attributed",
        '   to chance, hence the system is significantly "different" than the baseline.',
        "   Otherwise, the p-values are highlighted in red.",
        "",
        ' - NOTE: Significance does not tell whether a system is "better" than the baseline but '
        "rather",
        '   emphasizes the "difference" of the systems in terms of the replicability of the delta.',
        "",
    ]  # fmt: skip
    return "\n".join(lines)
