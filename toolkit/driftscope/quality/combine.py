"""Combined pair features and the fitted linear combiners shipped in ``driftscope/data``.

Every embedding feature is relative to random pairs of the same set (a document, or a data
set in the benchmark): ``z = (x - mean_random) / std_random``. So the weights transfer across
documents, and a different encoder only needs its own random pairs, never a new threshold.

Features (:data:`FEATURES`), per source/target pair:
``e5_z``, ``use_z`` (0 where USE-m3 does not cover a language), ``cov_t_z`` (mean best token
cosine of target pieces to the source), ``cov_s_z`` (the same for source pieces),
``win_s_z`` (the least covered window of 4 source pieces: a dropped clause), ``lr_neg``/``lr_pos``
(log char ratio relative to the set's median, split by sign), ``wr`` (log word ratio, relative),
``rep``/``rep1`` (bigram/word repetition of the target beyond the source's), ``num`` (numbers
missing or extra), ``ent`` (entities missing or altered), ``e5_m`` (margin: the pair's e5 cosine
minus the mean cosine of each side's :data:`MARGIN_K` nearest neighbours on the other side of
the set, Artetxe & Schwenk 2019; a hub target that is close to every source, e.g. a generic
detached hallucination, scores low; z-scored against random pairs like the others),
``sal_c``/``sal_run`` (source words aligned by mutual-argmax word alignment over the layer-mix
token vectors of :data:`driftscope.quality.tokens.LAYERS`: share of source characters aligned,
and the longest unaligned run; see :func:`driftscope.quality.tokens.source_alignment`; they
lift the omission combiner's cross-validated AUROC from 88.6 to 89.3; fitting it on
:data:`OMISSION_FEATURES` only, to 90.6).

Besides these scalars, a combiner may use *embedding blocks* (:func:`embedding_blocks`):
``e5`` = ``u * v`` of the e5 sentence vectors of a pair (384 columns), ``use`` the same for
USE-m3 (512). A linear model over ``u * v`` is a learned per-dimension weighting of the cosine
(``cos = sum(u * v)``). Measured on MLQE-PE ru-en dev / de-en hallucinations (transfer, no fit
there): adding ``|u - v|`` as well gave the same Pearson but ranked fully detached
hallucinations worse (e5 only: 92.2 against 95.9 AUROC), so it is not used.

Token features use the *last* layer's token vectors (``embed_tokens(..., layers=(12,))`` for
e5-small, what sentence-transformers calls ``token_embeddings``), not the layer mix used for
suspicious terms.

The combiners are fitted by ``benchmarks/quality_fit.py``: ``qe`` (ridge on MLQE-PE ru-en
*train*), ``hallucination`` and ``omission`` (logistic on the de-en hallucination *dev* half,
cross-validated by source; see the JSON's ``note``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from driftscope.errors import ConfigError
from driftscope.quality import text as tx
from driftscope.quality.tokens import TokenVectors, source_alignment

FEATURES = (
    "e5_z",
    "use_z",
    "cov_t_z",
    "cov_s_z",
    "win_s_z",
    "lr_neg",
    "lr_pos",
    "wr",
    "rep",
    "rep1",
    "num",
    "ent",
    "e5_m",
    "sal_c",
    "sal_run",
)
OMISSION_FEATURES = (
    "e5_z",
    "use_z",
    "cov_s_z",
    "win_s_z",
    "lr_neg",
    "wr",
    "sal_c",
    "sal_run",
)
"""The omission combiner's inputs: sentence similarity, how much of the *source* the target
covers, and how much shorter it is. Features that describe material the target *adds*
(``lr_pos``, ``rep``, ``rep1``, ``cov_t_z``) or that count both missing and extra items
(``num``, ``ent``, ``e5_m``) are left out: with them the logistic fit spends weight on noise.
Measured by 5-fold CV grouped by source on the de-en hallucination dev half, mean of 8
reshuffled groupings: 89.1 with all features, 90.5 with these."""
MARGIN_K = 4  # neighbours of the margin feature (as the pipeline's bead margins)


def _rand_z(own: np.ndarray, rand: np.ndarray) -> np.ndarray:
    sd = float(rand.std()) if len(rand) > 1 else 0.0
    return (own - float(rand.mean())) / max(sd, 1e-6) if len(rand) else np.zeros_like(own)


def _cos_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("nd,nd->n", a.astype(np.float64), b.astype(np.float64))


def _tok_cov(s: np.ndarray, t: np.ndarray) -> tuple[float, float, float]:
    if not len(s) or not len(t):
        return 0.0, 0.0, 0.0
    m = t.astype(np.float32) @ s.astype(np.float32).T
    bs = m.max(axis=0)
    k = min(4, len(bs))
    win = float(np.convolve(bs, np.ones(k) / k, "valid").min())
    return float(m.max(axis=1).mean()), float(bs.mean()), win


def pair_features(
    src: Sequence[str],
    tgt: Sequence[str],
    e5_src: np.ndarray,
    e5_tgt: np.ndarray,
    rng: np.random.Generator,
    tok_src: Sequence[np.ndarray] | None = None,
    tok_tgt: Sequence[np.ndarray] | None = None,
    use_src: np.ndarray | None = None,
    use_tgt: np.ndarray | None = None,
    mix_src: Sequence[TokenVectors] | None = None,
    mix_tgt: Sequence[TokenVectors] | None = None,
) -> np.ndarray:
    """(n, len(FEATURES)) float64 features of n aligned pairs.

    Args:
        src, tgt: n texts each. e5_src, e5_tgt: (n, d) float32 unit rows (sentence vectors).
        rng: draws the random pairing (a derangement-like permutation) for the baselines.
        tok_src, tok_tgt: n arrays (m_i, d) of unit token vectors each, or None (features 0).
        use_src, use_tgt: (n, d2) USE-m3 unit rows, or None (``use_z`` = 0).
        mix_src, mix_tgt: n layer-mix :class:`TokenVectors` each (with character spans), or
            None (``sal_*`` = 0).
    """
    n = len(src)
    if len(tgt) != n or len(e5_src) != n or len(e5_tgt) != n:
        raise ConfigError("pair_features: all inputs need one row per pair")
    X = np.zeros((n, len(FEATURES)))
    if n == 0:
        return X
    perm = rng.permutation(n) if n > 1 else np.zeros(1, dtype=int)
    if n > 1:
        fix = perm == np.arange(n)
        perm[fix] = (perm[fix] + 1) % n
    X[:, 0] = _rand_z(_cos_rows(e5_src, e5_tgt), _cos_rows(e5_src, e5_tgt[perm]))
    if use_src is not None and use_tgt is not None:
        X[:, 1] = _rand_z(_cos_rows(use_src, use_tgt), _cos_rows(use_src, use_tgt[perm]))
    if tok_src is not None and tok_tgt is not None:
        own = np.array([_tok_cov(s, t) for s, t in zip(tok_src, tok_tgt, strict=True)])
        rnd = np.array([_tok_cov(tok_src[i], tok_tgt[perm[i]]) for i in range(n)])
        for k in range(3):
            X[:, 2 + k] = _rand_z(own[:, k], rnd[:, k])
    lr = np.array([tx.log_length_ratio(s, t) for s, t in zip(src, tgt, strict=True)])
    lr -= np.median(lr)
    X[:, 5], X[:, 6] = np.minimum(lr, 0), np.maximum(lr, 0)
    wr = np.array(
        [
            np.log((len(tx.words(t)) + 1) / (len(tx.words(s)) + 1))
            for s, t in zip(src, tgt, strict=True)
        ]
    )
    X[:, 7] = wr - np.median(wr)
    X[:, 8] = [tx.repetition(t) - tx.repetition(s) for s, t in zip(src, tgt, strict=True)]
    X[:, 9] = [tx.repetition(t, 1) - tx.repetition(s, 1) for s, t in zip(src, tgt, strict=True)]
    X[:, 10] = [sum(map(len, tx.number_mismatch(s, t))) for s, t in zip(src, tgt, strict=True)]
    X[:, 11] = [sum(map(len, tx.entity_mismatch(s, t))) for s, t in zip(src, tgt, strict=True)]
    if n > 1:
        from driftscope.embed.calibrate import knn_mean

        a, b = np.asarray(e5_src, np.float32), np.asarray(e5_tgt, np.float32)
        nn_s, nn_t = knn_mean(a, b, MARGIN_K), knn_mean(b, a, MARGIN_K)
        own = _cos_rows(a, b) - (nn_s + nn_t) / 2
        rnd = _cos_rows(a, b[perm]) - (nn_s + nn_t[perm]) / 2
        X[:, 12] = _rand_z(own, rnd)
    if mix_src is not None and mix_tgt is not None:
        own = np.array([source_alignment(s, t) for s, t in zip(mix_src, mix_tgt, strict=True)])
        rnd = np.array([source_alignment(mix_src[i], mix_tgt[perm[i]]) for i in range(n)])
        X[:, 13] = _rand_z(own[:, 0], rnd[:, 0])
        X[:, 14] = _rand_z(own[:, 1], rnd[:, 1])
    return X


def embedding_blocks(
    e5_src: np.ndarray,
    e5_tgt: np.ndarray,
    use_src: np.ndarray | None = None,
    use_tgt: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """``{"e5": (n, d) float64, "use": (n, d2)}``: ``u * v`` per pair (unit rows).

    ``use`` is left out when USE-m3 vectors are not given (a language it does not cover).
    """

    def block(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        u, v = np.asarray(u, np.float64), np.asarray(v, np.float64)
        return u * v

    out = {"e5": block(e5_src, e5_tgt)}
    if use_src is not None and use_tgt is not None:
        out["use"] = block(use_src, use_tgt)
    return out


@dataclass(frozen=True, slots=True)
class Combiner:
    """A standardised linear model over :data:`FEATURES` (``kind``: "ridge" or "logistic")."""

    name: str
    kind: str
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    note: str = ""
    zero: float = 0.0  # ridge output of random pairs (calibrated scale 0)
    one: float = 1.0  # ridge output of a typical training pair (calibrated scale 1)
    encoder: str = ""  # id of the encoder whose vectors the weights were fitted on
    prompt: str | None = None  # its prompt then (None: not recorded, matches nothing)
    revision: str = ""  # its revision then (recorded; not required to match)

    def matches(self, encoder: object) -> bool:
        """Whether ``encoder`` (id and prompt) is the one the weights were fitted with.

        The embedding features are z-scores against random pairs, but a different prompt or
        model still moves their spread and the token-coverage features, so weights fitted on
        other vectors are not used (``combined_qe`` refuses, ``estimate_qe`` falls back)."""
        return (
            self.prompt is not None
            and getattr(encoder, "id", None) == self.encoder
            and getattr(encoder, "prompt", None) == self.prompt
        )

    blocks: tuple[str, ...] = ()  # embedding blocks after the scalar features, in order

    def calibrated(self, X: np.ndarray, E: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """(n, len(FEATURES)) -> (n,) on the 0 = random pair, 1 = typical pair scale."""
        return (self.apply(X, E) - self.zero) / max(self.one - self.zero, 1e-6)

    def design(self, X: np.ndarray, E: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """The (n, columns) input of the linear model: scalar features, then the blocks."""
        idx = [FEATURES.index(f) for f in self.features]
        parts = [X[:, idx]]
        for name in self.blocks:
            if E is None or name not in E:
                raise ConfigError(f"combiner {self.name!r} needs the {name!r} embedding block")
            parts.append(E[name])
        return np.hstack(parts) if len(parts) > 1 else parts[0]

    def apply(self, X: np.ndarray, E: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """(n, len(FEATURES)) (+ blocks ``E``) -> (n,) float64 score (logistic: probability)."""
        D = self.design(X, E)
        if D.shape[1] != len(self.coef):
            raise ConfigError(
                f"combiner {self.name!r}: {D.shape[1]} inputs, {len(self.coef)} weights"
            )
        z = (D - np.asarray(self.mean)) / np.asarray(self.scale)
        s = z @ np.asarray(self.coef, dtype=np.float64) + self.intercept
        return 1.0 / (1.0 + np.exp(-s)) if self.kind == "logistic" else s


@lru_cache(maxsize=4)
def load_combiner(name: str, variant: str = "") -> Combiner:
    """A combiner from ``driftscope/data/combiners.json`` (``variant`` e.g. "e5" = no USE)."""
    key = f"{name}:{variant}" if variant else name
    try:
        raw = json.loads(
            resources.files("driftscope.data")
            .joinpath("combiners.json")
            .read_text(encoding="utf-8")
        )
    except (OSError, ModuleNotFoundError) as err:  # pragma: no cover - packaging error
        raise ConfigError(f"driftscope/data/combiners.json: cannot read ({err})") from err
    if key not in raw:
        raise ConfigError(f"no combiner {key!r}; known: {sorted(raw)}")
    d = raw[key]
    return Combiner(
        key,
        d["kind"],
        tuple(d["features"]),
        tuple(d["mean"]),
        tuple(d["scale"]),
        tuple(d["coef"]),
        float(d["intercept"]),
        d.get("note", ""),
        float(d.get("zero", 0.0)),
        float(d.get("one", 1.0)),
        str(d.get("encoder", "")),
        d.get("prompt"),
        str(d.get("revision", "")),
        tuple(d.get("blocks", ())),
    )
