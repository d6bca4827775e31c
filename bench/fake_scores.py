"""Synthetic scores for benchmarks and screenshots — NOT the scoring run.

Writes ``--runs`` finished runs (30 days apart, the last one yesterday) of
one ``ScoreSnapshot`` per customer, with values derived by simple rules from
each customer's paid orders (so the 360 page's explanation agrees with its
timeline), ``StageChange`` rows between runs, and each run's dashboard
figures (``insights.figures``, timed: the cost a real run pays for them).
Use ``guanxi score`` for real scores; this exists so that the 360 page and
the dashboard can be measured at 1,000,000 customers on any data folder.

    python bench/fake_scores.py --data-dir /tmp/gx-bench --runs 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

import numpy as np

CHUNK = 20_000


def _setup(data_dir: Path) -> None:
    os.environ["GUANXI_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
    import django

    django.setup()


def _text(moment: dt.datetime) -> str:
    """A UTC moment as SQLite holds Django's datetimes."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _aggregates(as_of: dt.date) -> dict[str, np.ndarray]:
    """Per customer: paid orders, spend, first and last order day (as day
    numbers), spend and order days in the last 180 and 30 days — one grouped
    query over the orders up to ``as_of``."""
    from django.db import connection

    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    cv_from = end - dt.timedelta(days=180)
    m_from = end - dt.timedelta(days=30)
    sql = """
        SELECT c.id, coalesce(a.n, 0), coalesce(a.spend, 0), a.first, a.last,
               coalesce(a.cv, 0), coalesce(a.n30, 0), coalesce(a.s30, 0)
        FROM customers_customer c LEFT JOIN (
            SELECT customer_id, count(*) AS n, sum(amount) AS spend,
                   min(ordered_at) AS first, max(ordered_at) AS last,
                   sum(CASE WHEN ordered_at >= %s THEN amount END) AS cv,
                   count(DISTINCT CASE WHEN ordered_at >= %s
                         THEN substr(ordered_at, 1, 10) END) AS n30,
                   sum(CASE WHEN ordered_at >= %s THEN amount END) AS s30
            FROM commerce_order
            WHERE ordered_at < %s AND status = 'paid'
            GROUP BY customer_id
        ) a ON a.customer_id = c.id
        ORDER BY c.id
    """
    with connection.cursor() as cur:
        cur.execute(sql, [_text(cv_from), _text(m_from), _text(m_from), _text(end)])
        rows = cur.fetchall()
    epoch = dt.date(1970, 1, 1)

    def day(value: object) -> float:
        if value is None:
            return np.nan
        text = str(value)[:10]
        return float((dt.date.fromisoformat(text) - epoch).days)

    return {
        "id": np.array([r[0] for r in rows], dtype=np.int64),
        "n": np.array([r[1] for r in rows], dtype=np.int64),
        "spend": np.array([float(r[2]) for r in rows]),
        "first": np.array([day(r[3]) for r in rows]),
        "last": np.array([day(r[4]) for r in rows]),
        "cv": np.array([float(r[5]) for r in rows]),
        "n30": np.array([r[6] for r in rows], dtype=np.int64),
        "s30": np.array([float(r[7]) for r in rows]),
    }


def _quintile(
    values: np.ndarray, mask: np.ndarray, reverse: bool = False
) -> np.ndarray:
    scores = np.zeros(len(values), dtype=np.int64)
    if mask.any():
        ranks = values[mask].argsort(kind="stable").argsort(kind="stable")
        q = 1 + (5 * ranks) // max(1, mask.sum())
        scores[mask] = 6 - q if reverse else q
    return scores


def write_run(as_of: dt.date) -> tuple[int, float]:
    """One synthetic run as of ``as_of``; returns (customers, figure seconds)."""
    from django.db import connection, transaction

    from guanxi.insights.figures import run_figures_write
    from guanxi.insights.models import ScoreRun, ScoreSnapshot, StageChange

    a = _aggregates(as_of)
    today = float((as_of - dt.date(1970, 1, 1)).days)
    n, has = a["n"], a["n"] > 0
    dsl = np.where(has, today - a["last"], np.nan)
    tenure = np.where(has, today - a["first"], np.nan)
    gap = np.where(n > 1, (a["last"] - a["first"]) / np.maximum(n - 1, 1), np.nan)
    overdue = np.where(np.isnan(gap), dsl / 45.0, dsl / np.where(gap > 0, gap, 1.0))
    p_alive = np.where(
        has, 1.0 / (1.0 + np.square(np.nan_to_num(overdue) / 2.0)), np.nan
    )
    pv = np.where(
        has,
        2.0 * a["cv"] * np.nan_to_num(p_alive)
        + 0.2 * a["spend"] / np.maximum(tenure / 365.0, 1.0),
        0.0,
    )
    stage = np.full(len(n), "growing", dtype=object)
    stage[has & (tenure >= 180)] = "mature"
    stage[has & (overdue > 2.0)] = "at_risk"
    stage[has & (n == 1) & (dsl > 60)] = "at_risk"
    stage[has & (dsl > 180) & (overdue > 4.0)] = "lapsed"
    stage[has & (tenure <= 30)] = "new"
    stage[~has] = "prospect"
    cv_cut = np.quantile(a["cv"][has], 0.8) if has.any() else 0.0
    pv_cut = np.quantile(pv[has], 0.8) if has.any() else 0.0
    high_cv, high_pv = a["cv"] >= max(cv_cut, 1.0), pv >= max(pv_cut, 1.0)
    quadrant = np.where(
        high_cv & high_pv,
        "star",
        np.where(high_cv, "cash_cow", np.where(high_pv, "potential", "basic")),
    )
    quadrant[~has] = "basic"
    r = _quintile(np.nan_to_num(dsl), has, reverse=True)
    f = _quintile(n.astype(float), has)
    m = _quintile(a["spend"], has)
    salt = (a["id"] * 2654435761) % 100
    emotion = np.where(salt < 15, "fan", np.where(salt < 35, "drifting", "ordinary"))
    risk = np.where(has, 1.0 - np.nan_to_num(p_alive), np.nan)
    run, _ = ScoreRun.objects.update_or_create(
        as_of=as_of, defaults={"status": "done", "customers": len(n), "progress": 100}
    )
    import json

    def reasons(i: int) -> str:
        if not has[i]:
            return "[]"
        return json.dumps([
            {"feature": "days_since_last_purchase", "value": float(dsl[i]), "effect": round(0.5 * float(risk[i]), 3)},
            {"feature": "overdue_ratio", "value": round(float(np.nan_to_num(overdue[i])), 2), "effect": round(0.3 * float(risk[i]), 3)},
            {"feature": "purchase_days_90d", "value": int(a["n30"][i]), "effect": round(0.1 - 0.2 * float(risk[i]), 3)},
        ])  # fmt: skip

    def signals(i: int) -> str:
        k = int(salt[i])
        return json.dumps([
            {"signal": "visit", "count": k % 5, "points": 2.0 * (k % 5)},
            {"signal": "message_opened", "count": k % 7, "points": 0.5 * (k % 7)},
            {"signal": "complaint", "count": 1 if k >= 80 else 0, "points": -4.0 if k >= 80 else 0.0},
        ])  # fmt: skip

    epoch = dt.date(1970, 1, 1)

    def date_of(value: float) -> dt.date | None:
        return None if np.isnan(value) else epoch + dt.timedelta(days=int(value))

    started = time.perf_counter()
    with transaction.atomic():
        ScoreSnapshot.objects.filter(as_of=as_of).delete()
        for lo in range(0, len(n), CHUNK):
            ScoreSnapshot.objects.bulk_create(
                [
                    ScoreSnapshot(
                        customer_id=int(a["id"][i]), as_of=as_of, orders=int(n[i]),
                        total_spend=round(float(a["spend"][i]), 2),
                        first_purchase=date_of(a["first"][i]), last_purchase=date_of(a["last"][i]),
                        days_since_last_purchase=None if np.isnan(dsl[i]) else int(dsl[i]),
                        mean_gap_days=None if np.isnan(gap[i]) else round(float(gap[i]), 1),
                        orders_30d=int(a["n30"][i]), spend_30d=round(float(a["s30"][i]), 2),
                        r_score=int(r[i]) or None, f_score=int(f[i]) or None, m_score=int(m[i]) or None,
                        rfm_segment="" if not has[i] else "potential_loyalists",
                        current_value=round(float(a["cv"][i]), 2), potential_value=round(float(pv[i]), 2),
                        value_score=round(float(r[i] + f[i] + m[i]) / 15.0, 3), quadrant=str(quadrant[i]),
                        stage=str(stage[i]), emotion=str(emotion[i]), emotion_reasons=json.loads(signals(i)),
                        p_alive=None if np.isnan(p_alive[i]) else round(float(p_alive[i]), 3),
                        expected_purchases_90d=None if np.isnan(gap[i]) else round(90.0 / float(gap[i]) * float(np.nan_to_num(p_alive[i])), 2) if gap[i] > 0 else None,
                        churn_risk=None if np.isnan(risk[i]) else round(float(risk[i]), 3),
                        churn_reasons=json.loads(reasons(i)),
                    )
                    for i in range(lo, min(lo + CHUNK, len(n)))
                ],
                batch_size=2000,
            )  # fmt: skip
        previous = (
            ScoreRun.objects.filter(status="done", as_of__lt=as_of)
            .order_by("-as_of")
            .first()
        )
        StageChange.objects.filter(as_of=as_of).delete()
        with connection.cursor() as cur:
            if previous is not None:
                cur.execute(
                    "INSERT INTO insights_stagechange (customer_id, as_of, from_stage, to_stage) "
                    "SELECT s.customer_id, s.as_of, p.stage, s.stage FROM insights_scoresnapshot s "
                    "JOIN insights_scoresnapshot p ON p.customer_id = s.customer_id AND p.as_of = %s "
                    "WHERE s.as_of = %s AND s.stage <> p.stage",
                    [previous.as_of, as_of],
                )
            else:
                cur.execute(
                    "INSERT INTO insights_stagechange (customer_id, as_of, from_stage, to_stage) "
                    "SELECT customer_id, as_of, '', stage FROM insights_scoresnapshot WHERE as_of = %s",
                    [as_of],
                )
    written = time.perf_counter() - started
    started = time.perf_counter()
    run_figures_write(run=run)
    figures = time.perf_counter() - started
    print(
        f"{as_of}: {len(n):,} snapshots in {written:.1f} s, figures in {figures:.2f} s",
        file=sys.stderr,
    )
    return len(n), figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--last",
        type=dt.date.fromisoformat,
        default=None,
        help="the last run's date (default: yesterday)",
    )
    args = parser.parse_args()
    _setup(args.data_dir)
    from django.db import connection

    if connection.vendor != "sqlite":
        raise SystemExit("fake_scores writes SQLite data folders only")
    last = args.last or dt.date.today() - dt.timedelta(days=1)
    for k in reversed(range(args.runs)):
        write_run(last - dt.timedelta(days=30 * k))
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
