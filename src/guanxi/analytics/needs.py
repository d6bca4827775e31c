"""What customers ask for, mined from what they write: keywords and phrases,
topics, sentiment, trend by month and the customers behind each need.

Texts arrive in chunks (:meth:`NeedMiner.add`); of each text only its key,
customer, month, probability of being negative and the ids of its words are
kept, never the text, so memory grows with the number of words written, not
with their size. :meth:`NeedMiner.finish` picks the needs and groups them.

- **Words**: Chinese (a text with any Chinese character) is cut by jieba's
  dictionary (precise mode, HMM off: the same words on every run, and about
  three times faster); other texts are split on letters. Words are
  lower-cased, stop words (``data/needs_stopwords.txt``) dropped, and each
  word replaced by its canonical term from ``synonyms`` (an admin's merge:
  ``{"快递": "物流"}``).
- **Needs**: the terms (Chinese of two characters or more, other words of
  three letters or more) found in at least ``min_documents`` texts, the
  ``max_needs`` most frequent. **Phrases**: the words written next to a need
  most often (``物流慢``, ``slow delivery``).
- **Topics**: non-negative matrix factorisation (scikit-learn's NMF, NNDSVD
  start: deterministic, no random restarts) of the texts × needs TF-IDF
  matrix, each need in the topic it weighs most in; a topic is named by its
  three heaviest needs. NMF over keyword counts rather than embeddings: it
  runs on one CPU core in seconds with nothing to download, and its topics
  are lists of the words staff see, which they can check and merge.
- **Sentiment**: :func:`guanxi.analytics.sentiment.sentiment_of` (the
  project's own classifier) per text; a need's is the mean probability that
  its texts are negative, and the share labelled negative.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import warnings
from array import array
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from guanxi.analytics.sentiment import NEGATIVE_FROM, sentiment_of

__all__ = [
    "Mention",
    "MinedNeed",
    "MinedTopic",
    "NeedMiner",
    "NeedText",
    "NeedsMined",
    "stop_words",
    "text_terms",
]

STOP_WORDS_PATH = Path(__file__).with_name("data") / "needs_stopwords.txt"
#: A text is read up to this many characters (a review, not a book).
MAX_CHARS = 2000
CJK = re.compile(r"[\u3400-\u9fff]")
LATIN_WORD = re.compile(r"[a-z][a-z'’-]*[a-z]|[a-z]")
#: Characters that end a phrase: no phrase spans punctuation.
BREAK = re.compile(r"[,.;:!?，。；：！？、（）()\[\]【】\"'“”‘’…~～/|]+")


@dataclass(frozen=True, slots=True)
class NeedText:
    """One text to mine: ``key`` names it (``("ticket", 12)``)."""

    key: tuple[str, int]
    customer_id: int
    month: str  # "2026-11"
    text: str


@dataclass(frozen=True, slots=True)
class Mention:
    """A text that names a need."""

    key: tuple[str, int]
    customer_id: int
    month: str
    negative: float


@dataclass(frozen=True)
class MinedNeed:
    term: str
    documents: int
    customers: frozenset[int]
    mentions: tuple[Mention, ...]
    months: Mapping[str, int]
    negative: float  # mean probability of negative
    negative_share: float
    phrases: tuple[str, ...]
    topic: int


@dataclass(frozen=True)
class MinedTopic:
    number: int
    terms: tuple[str, ...]
    documents: int
    negative: float


@dataclass(frozen=True)
class NeedsMined:
    texts: int
    needs: tuple[MinedNeed, ...]
    topics: tuple[MinedTopic, ...]


@cache
def stop_words() -> frozenset[str]:
    words = set()
    for line in STOP_WORDS_PATH.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.add(line.lower())
    return frozenset(words)


#: Where jieba's own warnings come from (the file they are compiled from).
JIEBA_MODULES = r".*[/\\]jieba[/\\]"


@cache
def _jieba() -> object:
    with warnings.catch_warnings():
        # jieba 0.42's regexes hold invalid escapes: three DeprecationWarnings
        # when its source is compiled (no .pyc yet). Theirs, not ours: only
        # that category from jieba's files, only around this import.
        warnings.filterwarnings(
            "ignore", category=DeprecationWarning, module=JIEBA_MODULES
        )
        import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text[:MAX_CHARS]).lower()


def _words(text: str) -> list[str]:
    """The words of ``text`` in order, "" where a phrase must break."""
    text = _normal(text)
    out: list[str] = []
    if CJK.search(text):
        cut = _jieba().lcut  # type: ignore[attr-defined]
        for part in BREAK.split(text):
            if part:
                out.extend(w for w in cut(part, HMM=False) if w.strip())
                out.append("")
        return out
    for part in BREAK.split(text):
        out.extend(LATIN_WORD.findall(part))
        out.append("")
    return out


def _is_term(word: str) -> bool:
    if CJK.search(word):
        return len(word) >= 2
    return len(word) >= 3 and word.isascii() and word.isalpha()


def text_terms(text: str, *, synonyms: Mapping[str, str] | None = None) -> list[str]:
    """The words of ``text`` that can name a need, canonical (synonyms
    applied), stop words dropped, in order."""
    synonyms = synonyms or {}
    stops = stop_words()
    found = []
    for word in _words(text):
        word = synonyms.get(word, word)
        if word and word not in stops and _is_term(word):
            found.append(word)
    return found


@dataclass
class NeedMiner:
    """Collect texts with :meth:`add`, then :meth:`finish` (scikit-learn's
    shape: parameters in ``__init__``, results of the fit at the end)."""

    min_documents: int = 3
    max_needs: int = 200
    topics: int = 8
    synonyms: Mapping[str, str] = field(default_factory=dict)
    #: Called with the number of texts added so far.
    progress: Callable[[int], None] | None = None

    def __post_init__(self) -> None:
        if self.min_documents < 1:
            raise ValueError("min_documents must be at least 1")
        if self.max_needs < 1:
            raise ValueError("max_needs must be at least 1")
        self._vocab: dict[str, int] = {}
        self._words: list[str] = []
        self._keys: list[tuple[str, int]] = []
        self._customers = array("q")
        self._months: list[str] = []
        self._negative = array("d")
        #: Each text's word ids in order (-1: a phrase break).
        self._sequences: list[array[int]] = []
        self._df: Counter[int] = Counter()

    def _id(self, word: str) -> int:
        found = self._vocab.get(word)
        if found is None:
            found = self._vocab[word] = len(self._words)
            self._words.append(word)
        return found

    def add(self, texts: Sequence[NeedText]) -> None:
        stops = stop_words()
        scored = sentiment_of([t.text for t in texts])
        for text, sentiment in zip(texts, scored, strict=True):
            sequence = array("i")
            terms = set()
            for word in _words(text.text):
                word = self.synonyms.get(word, word)
                if not word or word in stops or not word.strip():
                    sequence.append(-1)
                    continue
                if not (CJK.search(word) or word.isalpha()):
                    sequence.append(-1)
                    continue
                word_id = self._id(word)
                sequence.append(word_id)
                if _is_term(word):
                    terms.add(word_id)
            self._df.update(terms)
            self._keys.append(text.key)
            self._customers.append(text.customer_id)
            self._months.append(text.month)
            self._negative.append(sentiment.negative_probability)
            self._sequences.append(sequence)
        if self.progress is not None:
            self.progress(len(self._keys))

    def finish(self) -> NeedsMined:
        chosen = [
            word_id
            for word_id, n in sorted(
                self._df.items(), key=lambda item: (-item[1], self._words[item[0]])
            )
            if n >= self.min_documents
        ][: self.max_needs]
        column = {word_id: i for i, word_id in enumerate(chosen)}
        rows: list[list[int]] = [[] for _ in chosen]
        phrases: list[Counter[str]] = [Counter() for _ in chosen]
        for doc, sequence in enumerate(self._sequences):
            seen: set[int] = set()
            for position, word_id in enumerate(sequence):
                i = column.get(word_id)
                if i is None:
                    continue
                if word_id not in seen:
                    seen.add(word_id)
                    rows[i].append(doc)
                for other in (position - 1, position + 1):
                    if 0 <= other < len(sequence) and sequence[other] >= 0:
                        pair = (
                            (sequence[other], word_id)
                            if other < position
                            else (word_id, sequence[other])
                        )
                        phrases[i][self._phrase(*pair)] += 1
        topic_of, topics = self._topics(chosen, rows)
        needs = []
        for i, word_id in enumerate(chosen):
            docs = rows[i]
            negatives = [self._negative[d] for d in docs]
            common = [p for p, n in phrases[i].most_common(3) if n >= 2]
            needs.append(
                MinedNeed(
                    term=self._words[word_id],
                    documents=len(docs),
                    customers=frozenset(self._customers[d] for d in docs),
                    mentions=tuple(
                        Mention(
                            self._keys[d],
                            self._customers[d],
                            self._months[d],
                            round(self._negative[d], 4),
                        )
                        for d in docs
                    ),
                    months=dict(sorted(Counter(self._months[d] for d in docs).items())),
                    negative=round(sum(negatives) / len(negatives), 4),
                    negative_share=round(
                        sum(p >= NEGATIVE_FROM for p in negatives) / len(negatives), 4
                    ),
                    phrases=tuple(common),
                    topic=topic_of[i],
                )
            )
        return NeedsMined(texts=len(self._keys), needs=tuple(needs), topics=topics)

    def _phrase(self, first: int, second: int) -> str:
        a, b = self._words[first], self._words[second]
        joined = a + b if CJK.search(a) and CJK.search(b) else f"{a} {b}"
        return joined

    def _topics(
        self, chosen: list[int], rows: list[list[int]]
    ) -> tuple[list[int], tuple[MinedTopic, ...]]:
        """Each need's topic number and the topics (see the module's note)."""
        k = min(self.topics, max(1, len(chosen) // 2))
        if not chosen:
            return [], ()
        if k == 1:
            weights = np.ones((1, len(chosen)))
        else:
            weights = self._nmf(rows, n_needs=len(chosen), k=k)
        topic_of = [int(np.argmax(weights[:, i])) for i in range(len(chosen))]
        topics = []
        for t in range(weights.shape[0]):
            members = [i for i in range(len(chosen)) if topic_of[i] == t]
            if not members:
                continue
            members.sort(key=lambda i: (-weights[t, i], self._words[chosen[i]]))
            docs = set().union(*(rows[i] for i in members))
            negative = sum(self._negative[d] for d in docs) / len(docs) if docs else 0.5
            topics.append(
                MinedTopic(
                    number=t,
                    terms=tuple(self._words[chosen[i]] for i in members[:3]),
                    documents=len(docs),
                    negative=round(negative, 4),
                )
            )
        # Number the topics by size, largest first (stable across runs).
        order = sorted(topics, key=lambda t: (-t.documents, t.terms))
        renumber = {t.number: n for n, t in enumerate(order)}
        return (
            [renumber.get(t, 0) for t in topic_of],
            tuple(
                MinedTopic(renumber[t.number], t.terms, t.documents, t.negative)
                for t in order
            ),
        )

    def _nmf(self, rows: list[list[int]], *, n_needs: int, k: int) -> np.ndarray:
        from scipy.sparse import csc_matrix, diags
        from sklearn.decomposition import NMF
        from threadpoolctl import threadpool_limits

        n_docs = len(self._keys)
        indices = np.fromiter((d for docs in rows for d in docs), dtype=np.int64)
        indptr = np.cumsum([0, *(len(docs) for docs in rows)])
        matrix = csc_matrix(
            (np.ones(len(indices)), indices, indptr), shape=(n_docs, n_needs)
        )
        df = np.diff(indptr)
        matrix = (matrix @ diags(np.log((1 + n_docs) / (1 + df)) + 1.0)).tocsr()
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        matrix = diags(1.0 / norms) @ matrix
        with threadpool_limits(limits=1):
            model = NMF(n_components=k, init="nndsvd", max_iter=300, tol=1e-4)
            model.fit(matrix)
        weights: np.ndarray = model.components_
        return weights
