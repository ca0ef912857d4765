"""``driftscope score``: sacrebleu-shaped scoring CLI (thin layer over driftscope.score).

Heavy imports (sacrebleu metrics, encoders) happen inside the command body.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from driftscope.cli import app
from driftscope.cli._common import BackendOption, check_backend, in_range
from driftscope.errors import ConfigError, InputError

log = logging.getLogger("driftscope.score")

# Options that take several values like sacrebleu's nargs ("-i A B C", "-m bleu chrf").
_MULTI = frozenset({"-i", "--input", "-m", "--metrics", "-r", "--ref", "--refs"})


def expand_multi(args: list[str]) -> list[str]:
    """Rewrite ``-i A B`` as ``-i A -i B`` so click can take sacrebleu's multi-value options."""
    out: list[str] = []
    flag: str | None = None
    fresh = False
    for a in args:
        if a == "--":
            flag = None
            out.append(a)
        elif a in _MULTI:
            flag, fresh = a, True
            out.append(a)
        elif flag is not None and (a == "-" or not a.startswith("-")):
            out += [a] if fresh else [flag, a]
            fresh = False
        else:
            flag = None
            out.append(a)
    return out


class _MultiValueCommand(TyperCommand):
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return list(super().parse_args(ctx, expand_multi(list(args))))


STDIN = Path("-")


def hypothesis_inputs(inputs: list[Path] | None) -> list[Path]:
    """The hypothesis files; standard input (``-``) when none is given, as sacrebleu does."""
    inputs = list(inputs or [STDIN])
    if inputs.count(STDIN) > 1:
        raise ConfigError("standard input ('-') can be read once; give -i - one time")
    if STDIN in inputs and sys.stdin.isatty():
        raise ConfigError("no hypothesis: give -i HYP or pipe the hypotheses on standard input")
    return inputs


def default_metrics(refs: list[Path] | None, src: Path | None) -> list[str]:
    """bleu against references; with only a source, the reference-free sim."""
    return ["sim"] if src is not None and not refs else ["bleu"]


def read_stream(path: Path) -> list[str]:
    """Lines of a file (``-``: standard input) as sacrebleu reads them (decoded, trailing
    whitespace stripped, blank lines kept); empty, binary or undecodable input raises a
    one-line InputError."""
    from driftscope.ingest import decode_bytes, read_lines, text_lines

    if path == STDIN:
        from driftscope.ingest.decode import MAX_FILE_BYTES

        raw = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise InputError(f"<stdin>: input too large (limit {MAX_FILE_BYTES} bytes)")
        lines = text_lines(decode_bytes(raw, "<stdin>").text, "<stdin>")
    else:
        lines = read_lines(path)
    return [line.rstrip() for line in lines]


def read_streams(
    refs: list[Path], inputs: list[Path], src: Path | None
) -> tuple[list[list[str]], list[list[str]], list[str] | None]:
    """Read every file and check line counts (the message names both files and both counts)."""
    hyps = [read_stream(p) for p in inputs]
    ref_lines = [read_stream(p) for p in refs]
    src_lines = read_stream(src) if src is not None else None
    named = list(zip(inputs, hyps, strict=True)) + list(zip(refs, ref_lines, strict=True))
    if src is not None and src_lines is not None:
        named.append((src, src_lines))
    first, n = named[0][0], len(named[0][1])
    for path, lines in named[1:]:
        if len(lines) != n:
            raise InputError(f"{path} has {len(lines)} lines but {first} has {n} lines")
    return hyps, ref_lines, src_lines


def detect(lines: list[str] | None, given: str | None, source: str = "") -> tuple[str, str]:
    """(language, how): the given code (refused if the text clearly contradicts it), or
    langdetect on the first 200 lines, or ''."""
    from driftscope.ingest import check_language, detect_language

    sample = " ".join(lines[:200]) if lines else ""
    if given:
        if sample:
            check_language(sample, given, source)
        return given.strip().lower(), "given"
    if not sample:
        return "", "unknown"
    lang, _ = detect_language(sample)
    return lang, "detected" if lang else "unknown"


def resolve_langs(
    pair: str | None,
    src_lang: str | None,
    tgt_lang: str | None,
    src: Any,
    refs: Any,
    hyps: Any,
    names: tuple[str, str] = ("source", "target"),
) -> dict[str, str]:
    """Languages from ``-l src-tgt`` / ``--src-lang`` / ``--tgt-lang``, else detected."""
    if pair:
        parts = pair.split("-")
        if len(parts) != 2 or not all(parts):
            raise ConfigError(f"language pair must look like 'en-de', got {pair!r}")
        src_lang, tgt_lang = src_lang or parts[0], tgt_lang or parts[1]
    s, s_how = detect(src, src_lang, names[0])
    t, t_how = detect(refs[0] if refs else hyps[0], tgt_lang, names[1])
    log.debug("languages: source %s (%s), target %s (%s)", s or "?", s_how, t or "?", t_how)
    return {"src_lang": s, "src_lang_from": s_how, "tgt_lang": t, "tgt_lang_from": t_how}


def bleu_trg_lang(langs: dict[str, str], tokenize: str | None) -> str:
    """Target language for BLEU's tokenizer choice: as sacrebleu's ``-l`` when given; a detected
    one only when its tokenizer is installed (zh always; ja/ko need MeCab)."""
    from driftscope.score.metrics import LANG_TOKENIZERS, tokenizer_available

    lang = langs["tgt_lang"]
    if langs["tgt_lang_from"] == "given" or tokenize is not None:
        return lang
    tok = LANG_TOKENIZERS.get(lang)
    if tok is not None and not tokenizer_available(tok):
        log.warning("detected target %s but tokenizer %s is not installed; using 13a", lang, tok)
        return ""
    return lang


def make_calibrator(encoder: Any, side_a: list[str], side_b: list[str], seed: int) -> Any:
    """Calibration fitted on the data (source or first reference vs the first system)."""
    from driftscope.score.calibration import data_calibrator

    return data_calibrator(encoder, side_a, side_b, seed)


def load_encoder(model: str | None, backend: str | None = None) -> Any:
    from driftscope.embed import get_encoder

    return get_encoder(model, backend=backend)


def run_scoring(a: dict[str, Any]) -> str:
    """Everything the command does, given its parsed options; returns the text to emit."""
    from driftscope.score import (
        MetricOptions,
        PairedConfig,
        ScoreSetup,
        paired_test,
        score_corpus,
        score_sentences,
    )  # fmt: skip
    from driftscope.score.formats import render_corpus, render_paired, render_segments

    if not a["inputs"]:
        raise ConfigError("no hypothesis file given (-i HYP [HYP2 ...])")
    if a["paired_bs"] and a["paired_ar"]:
        raise ConfigError("--paired-bs and --paired-ar are mutually exclusive")
    paired = "bs" if a["paired_bs"] else "ar" if a["paired_ar"] else None
    sentence = a["sentence_level"] or a["format"] == "jsonl"
    if paired and sentence:
        raise ConfigError("statistical tests are unavailable in sentence-level mode")
    hyps, refs, src = read_streams(a["refs"], a["inputs"], a["src"])
    stream_names = (str(a["src"]), str(a["refs"][0] if a["refs"] else a["inputs"][0]))
    langs = resolve_langs(
        a["langpair"], a["src_lang"], a["tgt_lang"], src, refs, hyps, stream_names
    )
    opts = MetricOptions(trg_lang=bleu_trg_lang(langs, a["tokenize"]), **a["metric_opts"])
    need_enc = "sim" in [m.lower() for m in a["metrics"]] or (sentence and src is not None)
    encoder = load_encoder(a["model"], a.get("backend")) if need_enc else None
    cal = None
    if encoder is not None and (src is not None or refs):
        cal = make_calibrator(
            encoder, list(src if src is not None else refs[0]), list(hyps[0]), a["seed"]
        )
    setup = ScoreSetup(opts, encoder, cal)
    names = [str(p) for p in a["inputs"]]
    fmt, w, short = a["format"], a["width"], a["short"]
    if sentence:
        segs = score_sentences(hyps, refs, a["metrics"], src, names=names, setup=setup)
        return render_segments(segs, fmt, w, short=short, score_only=a["score_only"])
    if paired:
        n = a["paired_bs_n"] if paired == "bs" else a["paired_ar_n"]
        cfg = PairedConfig(paired, n, a["seed"])
        res = paired_test(hyps, refs, a["metrics"], src, names=names, config=cfg, setup=setup)
        return render_paired(res, fmt, w, short=short)
    systems = score_corpus(hyps, refs, a["metrics"], src, names=names, setup=setup)
    extra = {k: v for k, v in langs.items() if langs[k.replace("_from", "")]}
    return render_corpus(systems, fmt, w, short=short, score_only=a["score_only"], extra=extra)


_FMT_HELP = "text (sacrebleu's), json (sacrebleu's), jsonl (one object per segment), tsv."
_METRICS_HELP = (
    "Metrics among bleu chrf ter sim. Default: bleu with a reference; with only a source (-s), "
    "the reference-free sim (and, with --sentence-level, qe, p_hallucination, p_omission, "
    "p_detached). "
    "sim is the calibrated similarity: 0 = a random pair of sentences of these texts, 1 = a "
    "typical translation pair (not clipped)."
)
_N = in_range(1)
_NONNEG = in_range(0)


@app.command("score", cls=_MultiValueCommand)
def score(
    refs: Annotated[
        list[Path] | None, typer.Option("-r", "--ref", "--refs", help="Reference file(s).")
    ] = None,
    inputs: Annotated[
        list[Path] | None,
        typer.Option(
            "-i",
            "--input",
            help="Hypothesis file(s); the first is the baseline of paired tests. '-' or no -i: "
            "read one system from standard input.",
        ),
    ] = None,
    src: Annotated[
        Path | None,
        typer.Option(
            "-s", "--src", "--source", help="Source file (sim is then reference-free; enables qe)."
        ),
    ] = None,
    metrics: Annotated[
        list[str] | None, typer.Option("-m", "--metrics", help=_METRICS_HELP)
    ] = None,
    sentence_level: bool = typer.Option(
        False, "--sentence-level", "-sl", help="One score per segment instead of per corpus."
    ),
    fmt: str = typer.Option("text", "--format", "-f", help=_FMT_HELP),
    langpair: str | None = typer.Option(
        None, "-l", "--language-pair", help="src-tgt, as sacrebleu's -l (e.g. ru-en)."
    ),
    src_lang: str | None = typer.Option(
        None, "--src-lang", help="Source language (ISO 639-1); detected if omitted."
    ),
    tgt_lang: str | None = typer.Option(
        None, "--tgt-lang", help="Target language (BLEU's tokenizer choice); detected if omitted."
    ),
    paired_bs: bool = typer.Option(
        False, "--paired-bs", "-pbs", help="Paired bootstrap resampling against the first system."
    ),
    paired_ar: bool = typer.Option(
        False, "--paired-ar", "-par", help="Paired approximate randomisation test instead."
    ),
    paired_bs_n: int = typer.Option(
        1000, "--paired-bs-n", "-pbsn", help="Bootstrap resamples.", callback=_N
    ),
    paired_ar_n: int = typer.Option(
        10000, "--paired-ar-n", "-parn", help="Approximate randomisation trials.", callback=_N
    ),
    seed: int = typer.Option(
        12345,
        "--seed",
        help="RNG seed of the paired tests (sacrebleu's default) and of sim's calibration.",
        callback=_NONNEG,
    ),
    width: int = typer.Option(
        1,
        "-w",
        "--width",
        min=0,
        max=10,
        help="Decimals of BLEU, chrF and TER (sim, on a 0-1 scale, gets two more).",
    ),
    short: bool = typer.Option(False, "--short", "-sh", help="Short signatures."),
    score_only: bool = typer.Option(
        False, "--score-only", "-b", help="Print only the score numbers."
    ),
    model: str | None = typer.Option(
        None, "--model", help="Encoder for sim/qe (default: the offline e5-small)."
    ),
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="Write here (atomically) instead of stdout.")
    ] = None,
    tokenize: str | None = typer.Option(
        None, "--tokenize", "-tok", help="BLEU tokenizer (sacrebleu's; default 13a, or by -l)."
    ),
    lowercase: bool = typer.Option(False, "--lowercase", "-lc", help="BLEU: case-insensitive."),
    force: bool = typer.Option(False, "--force", help="BLEU: input is really detokenised."),
    smooth_method: str = typer.Option(
        "exp", "--smooth-method", help="BLEU smoothing: none, floor, add-k or exp."
    ),
    smooth_value: float | None = typer.Option(
        None,
        "--smooth-value",
        "-sv",
        help="BLEU smoothing value (floor: 0.1, add-k: 1 by default).",
        callback=_NONNEG,
    ),
    chrf_char_order: int = typer.Option(
        6, "--chrf-char-order", "-cc", help="chrF character n-gram order.", callback=_NONNEG
    ),
    chrf_word_order: int = typer.Option(
        0, "--chrf-word-order", "-cw", help="chrF word n-gram order (2 = chrF++).", callback=_NONNEG
    ),
    chrf_beta: int = typer.Option(
        2, "--chrf-beta", help="chrF: weight of recall against precision.", callback=_NONNEG
    ),
    chrf_whitespace: bool = typer.Option(
        False, "--chrf-whitespace", help="chrF: keep whitespace in character n-grams."
    ),
    chrf_lowercase: bool = typer.Option(False, "--chrf-lowercase", help="chrF: case-insensitive."),
    chrf_eps_smoothing: bool = typer.Option(
        False, "--chrf-eps-smoothing", help="chrF: sacrebleu 1.x epsilon smoothing."
    ),
    ter_case_sensitive: bool = typer.Option(
        False, "--ter-case-sensitive", help="TER: case-sensitive."
    ),
    ter_asian_support: bool = typer.Option(
        False, "--ter-asian-support", help="TER: split Asian characters."
    ),
    ter_no_punct: bool = typer.Option(False, "--ter-no-punct", help="TER: drop punctuation."),
    ter_normalized: bool = typer.Option(
        False, "--ter-normalized", help="TER: normalise the text first."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only errors on stderr."),
    backend: BackendOption = None,
) -> None:
    """Score hypotheses against references like sacrebleu (BLEU, chrF, TER) plus embedding
    similarity (sim), with sacrebleu's paired significance tests against the first system.

    With a source and no reference, the reference-free sim is the default metric. Hypotheses
    come from -i files, or from standard input ('-i -' or no -i), as with sacrebleu.
    """
    from driftscope.cli._common import check_output_path, emit, setup_logging

    setup_logging(quiet=quiet)
    check_backend(backend)
    inputs = hypothesis_inputs(inputs)
    if out is not None:  # fail before reading and embedding anything
        check_output_path(out, [*(refs or []), *inputs, *([src] if src else [])])
    a = dict(locals())
    a.update(refs=refs or [], inputs=inputs, metrics=metrics or default_metrics(refs, src))
    a["format"] = a.pop("fmt")
    keys = [k for k in a if k.startswith(("chrf_", "ter_", "smooth_"))]
    a["metric_opts"] = {k: a[k] for k in [*keys, "tokenize", "lowercase", "force"]}
    text = run_scoring(a)
    emit(text, out, [*a["refs"], *a["inputs"], *([src] if src else [])])
