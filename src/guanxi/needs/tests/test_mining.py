"""The mining on its own (no database): words, stop words, synonyms,
phrases, topics, sentiment and trend on a small corpus whose answer is
known."""

from __future__ import annotations

from typing import Any

import pytest

from guanxi.analytics.needs import (
    MinedNeed,
    NeedMiner,
    NeedText,
    stop_words,
    text_terms,
)

CORPUS = [
    # (customer, month, text)
    (1, "2026-09", "物流太慢了，等了一周才到"),
    (2, "2026-10", "快递太慢，包装也压坏了"),
    (3, "2026-10", "物流太慢，希望换一家快递"),
    (4, "2026-11", "包装破损，盒子压坏了"),
    (5, "2026-11", "包装破损严重"),
    (6, "2026-11", "客服回复很快，态度好"),
    (7, "2026-11", "客服回复及时"),
    (8, "2026-11", "The delivery was slow and terrible, two weeks late"),
    (9, "2026-11", "Slow delivery, awful. Very disappointed"),
    (10, "2026-11", "slow delivery again! Terrible"),
]


def _texts() -> list[NeedText]:
    return [
        NeedText(("ticket", i), customer, month, text)
        for i, (customer, month, text) in enumerate(CORPUS, start=1)
    ]


def _mined(**kw: Any) -> dict[str, MinedNeed]:
    miner = NeedMiner(min_documents=2, **kw)
    miner.add(_texts()[:4])
    miner.add(_texts()[4:])
    return {n.term: n for n in miner.finish().needs}


def test_words_drop_stop_words_and_apply_synonyms() -> None:
    assert "的" in stop_words() and "the" in stop_words()
    assert text_terms("物流太慢了，等了一周才到") == ["物流", "太慢", "一周"]
    assert text_terms("快递太慢", synonyms={"快递": "物流"}) == ["物流", "太慢"]
    assert text_terms("The delivery was slow!") == ["delivery", "slow"]


def test_known_keywords_with_customers_trend_and_phrases() -> None:
    needs = _mined()
    assert set(needs) >= {
        "物流",
        "太慢",
        "包装",
        "破损",
        "压坏",
        "客服",
        "回复",
        "delivery",
        "slow",
    }
    logistics = needs["物流"]
    assert logistics.documents == 2  # 快递 is its own word until merged
    assert sorted(logistics.customers) == [1, 3]
    assert dict(logistics.months) == {"2026-09": 1, "2026-10": 1}
    assert "物流太慢" in logistics.phrases
    assert needs["delivery"].phrases == ("slow delivery",)


def test_merged_synonym_counts_as_one_need() -> None:
    needs = _mined(synonyms={"快递": "物流"})
    assert "快递" not in needs
    assert needs["物流"].documents == 3
    assert sorted(needs["物流"].customers) == [1, 2, 3]
    assert dict(needs["物流"].months) == {"2026-09": 1, "2026-10": 2}


def test_topics_group_words_written_together() -> None:
    needs = _mined(topics=4)
    assert needs["包装"].topic == needs["破损"].topic
    assert needs["slow"].topic == needs["delivery"].topic
    assert needs["客服"].topic == needs["回复"].topic
    assert needs["客服"].topic != needs["包装"].topic


def test_sentiment_per_need() -> None:
    needs = _mined()
    assert needs["太慢"].negative > 0.6  # complaints
    assert needs["客服"].negative < needs["太慢"].negative  # praise
    assert needs["slow"].negative_share == 1.0


def test_same_texts_same_needs() -> None:
    first = _mined(topics=4)
    second = _mined(topics=4)
    assert [(n.term, n.documents, n.topic) for n in first.values()] == [
        (n.term, n.documents, n.topic) for n in second.values()
    ]


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="min_documents must be at least 1"):
        NeedMiner(min_documents=0)
