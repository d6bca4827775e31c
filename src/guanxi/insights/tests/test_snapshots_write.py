"""Writing a run's snapshots: rows built a piece at a time, a chunk per
transaction, resumable after its checkpoint."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from django.db import IntegrityError
from django.db.models import Count

from guanxi.insights import snapshots_write as writing
from guanxi.insights.choices import RunStatus
from guanxi.insights.models import ScoreRun, ScoreSnapshot
from guanxi.insights.snapshots_write import snapshots_write
from guanxi.insights.tests.conftest import AS_OF

pytestmark = pytest.mark.usefixtures("transactional_db")  # real commits


@pytest.fixture
def small_pieces(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 10 rows built in pieces of 4."""
    settings.GUANXI_SCORE_CHUNK = 10
    monkeypatch.setattr(writing, "PIECE", 4)


@pytest.fixture
def customer_ids(make_customer: Any) -> list[int]:
    return sorted(make_customer().pk for _ in range(25))


def _frame(ids: list[int]) -> pd.DataFrame:
    """A scored frame as the run hands it over: nullable ints, NaN for no
    value, day numbers for dates, reasons as JSON text."""
    n = len(ids)
    step = np.arange(n, dtype=float)
    gaps = np.where(step % 5 == 0, np.nan, step / 3)
    return pd.DataFrame(
        {
            "orders": np.arange(n, dtype=np.int64),
            "total_spend": step * 10.005,
            "first_day": np.where(step % 5 == 0, np.nan, 20_000 + step),
            "last_day": np.where(step % 5 == 0, np.nan, 20_400 + step % 3),
            "days_since_last_purchase": pd.array(
                [None if i % 5 == 0 else i for i in range(n)], dtype="Int64"
            ),
            "mean_gap_days": gaps,
            "orders_30d": np.arange(n, dtype=np.int64) % 4,
            "spend_30d": step * 1.234567,
            "r_score": pd.array([None if i % 5 == 0 else 1 + i % 5 for i in range(n)], dtype="Int64"),
            "f_score": pd.array([None if i % 5 == 0 else 2 for i in range(n)], dtype="Int64"),
            "m_score": pd.array([None if i % 5 == 0 else 3 for i in range(n)], dtype="Int64"),
            "rfm_segment": ["" if i % 5 == 0 else "champions" for i in range(n)],
            "current_value": step * 2.499,
            "potential_value": step * 3.3333,
            "value_score": step / 7,
            "quadrant": ["star" if i % 2 else "basic" for i in range(n)],
            "stage": ["prospect" if i % 5 == 0 else "growing" for i in range(n)],
            "emotion": ["ordinary"] * n,
            "emotion_reasons": ["[]"] * n,
            "p_alive": gaps / 10,
            "expected_purchases_90d": gaps / 4,
            "churn_risk": np.where(step % 5 == 0, np.nan, step / 25),
            "churn_reasons": [
                '[{"feature": "recency_days", "value": 40.0, "effect": 0.1}]'
                if i % 3 == 0
                else "[]"
                for i in range(n)
            ],
        },
        index=pd.Index(ids, dtype=np.int64),
    )  # fmt: skip


def _stored() -> list[tuple[Any, ...]]:
    return list(
        ScoreSnapshot.objects.filter(as_of=AS_OF)
        .order_by("customer_id")
        .values_list(
            "customer_id",
            "orders",
            "total_spend",
            "first_purchase",
            "last_purchase",
            "days_since_last_purchase",
            "mean_gap_days",
            "r_score",
            "rfm_segment",
            "spend_30d",
            "value_score",
            "p_alive",
            "churn_risk",
            "churn_reasons",
        )
    )


def _row_ids(*, through: int) -> dict[int, int]:
    """Each snapshot's id by its customer, up to customer ``through``."""
    return dict(
        ScoreSnapshot.objects.filter(customer_id__lte=through).values_list(
            "customer_id", "id"
        )
    )


def _written_twice() -> list[Any]:
    return list(
        ScoreSnapshot.objects.values("customer_id", "as_of")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )


def _round(value: float, digits: int) -> float:
    return float(np.round(value, digits))  # numpy's rounding, as the writer's


def _expected(ids: list[int]) -> list[tuple[Any, ...]]:
    epoch = dt.date(1970, 1, 1)
    rows = []
    for i, customer in enumerate(ids):
        none = i % 5 == 0
        rows.append(
            (
                customer,
                i,
                _round(i * 10.005, 2),
                None if none else epoch + dt.timedelta(days=20_000 + i),
                None if none else epoch + dt.timedelta(days=20_400 + i % 3),
                None if none else i,
                None if none else _round(i / 3, 6),
                None if none else 1 + i % 5,
                "" if none else "champions",
                _round(i * 1.234567, 2),
                _round(i / 7, 6),
                None if none else _round(i / 3 / 10, 6),
                None if none else _round(i / 25, 6),
                [{"feature": "recency_days", "value": 40.0, "effect": 0.1}]
                if i % 3 == 0
                else [],
            )
        )
    return rows


@pytest.mark.usefixtures("small_pieces")
def test_every_row_is_written_as_the_frame_says_a_chunk_at_a_time(
    customer_ids: list[int],
) -> None:
    run = ScoreRun.objects.create(as_of=AS_OF)
    shares: list[float] = []
    snapshots_write(run, _frame(customer_ids), shares.append)
    assert _stored() == _expected(customer_ids)
    assert shares == [0.4, 0.8, 1.0]
    run.refresh_from_db()
    assert run.written_through == customer_ids[-1]


@pytest.mark.usefixtures("small_pieces")
def test_a_resumed_write_keeps_the_rows_before_its_checkpoint(
    customer_ids: list[int],
) -> None:
    run = ScoreRun.objects.create(as_of=AS_OF)
    frame = _frame(customer_ids)
    snapshots_write(run, frame, lambda share: None)
    checkpoint = customer_ids[11]
    kept = _row_ids(through=checkpoint)
    run.written_through = checkpoint
    snapshots_write(run, frame, lambda share: None)
    assert _stored() == _expected(customer_ids)
    assert _row_ids(through=checkpoint) == kept
    assert not _written_twice()


@pytest.mark.usefixtures("small_pieces")
def test_a_row_that_cannot_be_built_rolls_back_its_chunk_only(
    customer_ids: list[int],
) -> None:
    run = ScoreRun.objects.create(as_of=AS_OF)
    frame = _frame(customer_ids)
    frame["orders"] = frame["orders"].astype(object)
    frame.loc[customer_ids[15], "orders"] = "many"  # in the second chunk
    with pytest.raises(ValueError):
        snapshots_write(run, frame, lambda share: None)
    # The first chunk stands, with its checkpoint; nothing of the second.
    assert _stored() == _expected(customer_ids)[:10]
    assert ScoreRun.objects.get(pk=run.pk).written_through == customer_ids[9]


@pytest.mark.usefixtures("small_pieces")
def test_a_chunk_the_database_refuses_is_rolled_back_alone(
    customer_ids: list[int],
) -> None:
    run = ScoreRun.objects.create(as_of=AS_OF)
    ids = [*customer_ids[:12], customer_ids[-1] + 1000, *customer_ids[13:]]
    with pytest.raises(IntegrityError):  # no such customer
        snapshots_write(run, _frame(ids), lambda share: None)
    assert _stored() == _expected(ids)[:10]
    assert ScoreRun.objects.get(pk=run.pk).written_through == ids[9]


def test_a_run_failing_while_writing_is_resumed_after_its_checkpoint(
    demo_data: dict[str, Any],
    fixed_today: dt.date,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The run names the failure, keeps the chunks written before it, and the
    next run of the date writes the rest: every customer once."""
    from guanxi.insights.services import score_run

    settings.GUANXI_SCORE_CHUNK = 100  # pieces of 100: the second is chunk 2
    monkeypatch.setattr(writing, "PIECE", 100)
    built = writing._block
    calls = []

    def second_chunk_fails(frame: pd.DataFrame, as_of: dt.date) -> np.ndarray:
        calls.append(len(frame))
        if len(calls) == 2:
            raise MemoryError
        return built(frame, as_of)

    monkeypatch.setattr(writing, "_block", second_chunk_fails)
    with pytest.raises(MemoryError):
        score_run(as_of=AS_OF)
    run = ScoreRun.objects.get(as_of=AS_OF)
    assert (run.status, run.message) == (RunStatus.FAILED, "MemoryError")
    ids = sorted(
        ScoreSnapshot.objects.filter(as_of=AS_OF).values_list("customer_id", flat=True)
    )
    assert len(ids) == 100 and run.written_through == ids[-1]

    monkeypatch.setattr(writing, "_block", built)
    run = score_run(as_of=AS_OF)
    assert run.status == RunStatus.DONE
    assert ScoreSnapshot.objects.filter(as_of=AS_OF).count() == 300
    assert not _written_twice()
