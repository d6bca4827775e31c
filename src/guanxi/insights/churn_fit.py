"""The scoring run's churn model, learnt at the cut-off before anything else.

The classifier needs only the training sample's features at the cut-off and
whether each of them bought again by the as-of date, so a run fits it in a
thread while the database computes the current features
(:func:`guanxi.insights.runs.compute_scores`);
:func:`guanxi.insights.scoring.churn_columns` then scores every buyer.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

from guanxi.analytics.errors import AnalyticsInputError
from guanxi.insights.scoring import CHURN_HORIZON_DAYS

if TYPE_CHECKING:
    from guanxi.analytics.churn import ChurnClassifier

__all__ = ["churn_fit"]


def churn_fit(
    *,
    training: pd.DataFrame,
    training_contacts: pd.DataFrame | None,
    bought_after_cutoff: set[int],
    cutoff: dt.date,
) -> ChurnClassifier | None:
    """The classifier learnt at ``cutoff`` (90 days before the as-of date)
    from ``training`` (features of a sample of the customers known then):
    whether each bought again by the as-of date. None when the history has
    nothing to learn from (no customer then, or all of them alike)."""
    from guanxi.analytics.churn import ChurnClassifier

    if len(training) == 0:
        return None
    model = ChurnClassifier(horizon_days=CHURN_HORIZON_DAYS, random_state=0)
    try:
        features = model.features_from(training, training_contacts)
        labels = pd.Series(
            [0 if int(c) in bought_after_cutoff else 1 for c in features.index],
            index=features.index,
            dtype="int64",
        )
        model.fit_labelled(features, labels, cutoff=cutoff)
    except AnalyticsInputError:
        return None
    return model
