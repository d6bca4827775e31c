"""A small run's scores pinned: work on the run's speed must not change them.

The digest is of every snapshot column but the customer's id (the ids of a
test database depend on what ran before), in ascending customer id, the
reasons compared as parsed JSON. It was taken before the scoring run was
made faster (December 2026) and must stay: a change of the scores themselves
(a new rule, a new model) updates it on purpose, saying why in the commit.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from guanxi.insights.models import ScoreSnapshot
from guanxi.insights.services import score_run
from guanxi.insights.tests.conftest import AS_OF

pytestmark = pytest.mark.usefixtures("fixed_today")

#: The summary of the pinned run (seed 4, 300 customers, as of 2026-11-30).
SUMMARY = {
    "quadrants": {"star": 43, "cash_cow": 14, "potential": 14, "basic": 229},
    "stages": {
        "prospect": 18,
        "new": 8,
        "growing": 21,
        "mature": 89,
        "at_risk": 43,
        "lapsed": 121,
    },
}
#: sha256 of the canonical JSON of the pinned run's snapshot rows.
DIGEST = "67df068f8d37207bdc87e052ca928b1cb72ac3fada976509aae9cd1c45dfc80c"


def _canonical_rows() -> list[list[Any]]:
    fields = [
        f.attname
        for f in ScoreSnapshot._meta.concrete_fields
        if f.name not in {"id", "customer"}
    ]
    rows = []
    for values in (
        ScoreSnapshot.objects.filter(as_of=AS_OF)
        .order_by("customer_id")
        .values_list(*fields)
    ):
        row: list[Any] = []
        for name, value in zip(fields, values, strict=True):
            if name.endswith("_reasons") and isinstance(value, str):
                value = json.loads(value)
            row.append(
                value if isinstance(value, int | float | list | None) else str(value)
            )
        rows.append(row)
    return rows


def test_a_small_run_gives_the_pinned_scores(demo_data: dict[str, Any]) -> None:
    run = score_run(as_of=AS_OF)
    rows = _canonical_rows()
    assert len(rows) == 300
    assert {k: run.summary[k] for k in SUMMARY} == SUMMARY
    text = json.dumps(rows, sort_keys=True, ensure_ascii=True)
    assert hashlib.sha256(text.encode()).hexdigest() == DIGEST
