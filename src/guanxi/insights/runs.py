"""A scoring run: features in the database, models, labels, snapshots written.

One :class:`~guanxi.insights.models.ScoreRun` per as-of date. The run

1. rolls orders up into purchase days and computes the features in the
   database (:mod:`guanxi.insights.features`),
2. fits the models and labels every customer (:mod:`guanxi.insights.scoring`),
3. writes the snapshots in ascending customer id, a chunk per transaction,
   moving ``written_through`` in the same transaction,
4. records the stage changes against the previous run, the summary, and
   tells the receivers of ``run_finished``.

Idempotent: running an as-of again rewrites its snapshots (same data, same
rows). Resumable: a run that died (its heartbeat stopped) is taken over by
the next run of the same date, which recomputes — the computation is
deterministic — and writes only after ``written_through``. While a run's
heartbeat is fresh, a second run of the same date is refused.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.core.errors import ValidationFailed
from guanxi.insights import features as db
from guanxi.insights.choices import FollowupStatus, Quadrant, RunStatus, Stage
from guanxi.insights.followups import followups_queue, followups_run
from guanxi.insights.models import ScoreRun, ScoreSnapshot, StageChange
from guanxi.insights.selectors import insight_settings
from guanxi.insights.signals import run_finished
from guanxi.insights.unprofiled import frames_without, unprofiled_for_run

if TYPE_CHECKING:
    import pandas as pd

# The models' modules (pandas, scikit-learn, SciPy, Ibis: seconds of
# imports) are imported where a run needs them, not by Django's set-up, which
# imports this module through the services; a run on SQLite imports them in
# a thread while the database rolls up the purchase days (:func:`_warm`).

__all__ = ["Progress", "RunBusy", "run_scoring"]

logger = logging.getLogger(__name__)

#: A run whose heartbeat is older than this (seconds) is taken to be dead.
HEARTBEAT_SECONDS = 120
#: step name, share done (0–1) → None
Progress = Callable[[str, float], None]

#: The steps of a run and their share of its time (for the progress bar).
STEPS = (
    (gettext_noop("purchase days"), 0.22),
    (gettext_noop("features"), 0.28),
    (gettext_noop("models"), 0.15),
    (gettext_noop("labels"), 0.07),
    (gettext_noop("writing"), 0.25),
    (gettext_noop("finishing"), 0.03),
)


class RunBusy(ValidationFailed):
    """Another run of the same date is alive."""


class _Tracker:
    """Progress of the run: the database row (for the web page), a callback,
    and the wall and CPU seconds of each step (logged, and kept in the run's
    summary as ``phases`` for operators)."""

    def __init__(self, run: ScoreRun, progress: Progress | None) -> None:
        self.run = run
        self.progress = progress
        self.base = 0.0
        self.last_saved = 0.0
        self.phases: list[dict[str, Any]] = []
        self._phase: tuple[str, float, float] | None = None

    def phase(self, name: str) -> None:
        """Start timing the step ``name`` (ending the one before)."""
        if self._phase is not None and self._phase[0] == name:
            return
        self.end_phase()
        self._phase = (name, time.perf_counter(), time.process_time())

    def end_phase(self) -> None:
        if self._phase is None:
            return
        name, wall, cpu = self._phase
        self._phase = None
        self.timed(name, time.perf_counter() - wall, time.process_time() - cpu)

    def timed(self, name: str, wall: float, cpu: float) -> None:
        # process_time counts every thread of this process (the reads on a
        # second connection too), not a database server's own work.
        self.phases.append(
            {"step": name, "wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2)}
        )
        logger.info(
            "scoring run %s: %s took %.2f s (%.2f s CPU)",
            self.run.as_of,
            name,
            wall,
            cpu,
        )

    def step(self, index: int, share: float = 0.0) -> None:
        name, weight = STEPS[index]
        self.phase(name)
        done = sum(w for _n, w in STEPS[:index]) + weight * share
        if self.progress is not None:
            self.progress(name, done)
        now = time.monotonic()
        if share in (0.0, 1.0) or now - self.last_saved > 1.0:
            self.last_saved = now
            ScoreRun.objects.filter(pk=self.run.pk).update(
                step=name, progress=int(done * 100), heartbeat_at=timezone.now()
            )


def check_as_of(value: dt.date, *, today: dt.date) -> dt.date:
    if value > today:
        raise ValidationFailed(
            _("as of %(date)s is after today (%(today)s): scores are of the past")
            % {"date": value.isoformat(), "today": today.isoformat()}
        )
    return value


def _claim(as_of: dt.date, actor: Any) -> ScoreRun:
    """The run row for ``as_of``: new, a finished one to redo, or a dead one
    to resume. Refuses while another run of the date is alive."""
    now = timezone.now()
    with transaction.atomic():
        run = ScoreRun.objects.select_for_update().filter(as_of=as_of).first()
        if run is None:
            return ScoreRun.objects.create(
                as_of=as_of,
                started_by=actor if getattr(actor, "pk", None) else None,
                heartbeat_at=now,
            )
        alive = (
            run.status == RunStatus.RUNNING
            and run.heartbeat_at is not None
            and (now - run.heartbeat_at).total_seconds() < HEARTBEAT_SECONDS
        )
        if alive:
            raise RunBusy(
                _("A scoring run as of %(date)s is already running (%(progress)d%%).")
                % {"date": as_of.isoformat(), "progress": run.progress}
            )
        if run.status == RunStatus.DONE:
            run.written_through = 0  # redo: every snapshot again
        run.status = RunStatus.RUNNING
        run.heartbeat_at = now
        run.message = ""
        run.progress = 0
        run.step = ""
        run.finished_at = None
        # A chain of follow-ups of the run before loses its claim.
        run.followups = FollowupStatus.NONE
        if getattr(actor, "pk", None):
            run.started_by = actor
        run.save()
        return run


def run_scoring(
    *,
    as_of: dt.date,
    actor: Any = None,
    progress: Progress | None = None,
    queue_followups: bool = True,
) -> ScoreRun:
    """Score every customer as of the end of ``as_of``; the finished run.

    ``queue_followups``: the run's follow-up chain (automatic tags → segment
    counts → warnings, :mod:`guanxi.insights.followups`) is queued for the
    task worker after the run commits, and receivers of ``run_finished`` whose
    work can wait (the co-purchase pairs) queue it too; False runs them all
    before this returns."""
    started = time.monotonic()
    check_as_of(as_of, today=timezone.localdate())
    _require_orders(as_of)
    run = _claim(as_of, actor)
    tracker = _Tracker(run, progress)
    try:
        scored, info = _compute(run, tracker)
        from guanxi.insights.snapshots_write import snapshots_write

        tracker.step(4)
        snapshots_write(run, scored.frame, lambda share: tracker.step(4, share))
        summary = _finish(run, scored, info, tracker, started)
        tracker.end_phase()
    except BaseException as error:
        ScoreRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED,
            message=str(error)
            if isinstance(error, ValidationFailed)
            else type(error).__name__,
        )
        raise
    finally:
        db.drop_purchase_days()
    # The run's frames (gigabytes at a million customers) are written: let
    # them go before the receivers read what they need from the database.
    del scored, info
    run.refresh_from_db()
    failed = []
    for receiver, result, wall, cpu in run_finished.send_timed(
        sender=ScoreRun,
        run=run,
        progress=_follow_up_progress(progress),
        queue=queue_followups,
    ):
        name = run_finished.step_name(receiver) or _receiver_name(receiver)
        tracker.timed(name, wall, cpu)
        if isinstance(result, Exception):
            failed.append(name)
    summary["phases"] = tracker.phases
    ScoreRun.objects.filter(pk=run.pk).update(summary=summary)
    if failed:
        # The scores stand; what builds on them says it did not run.
        logger.error("scoring run %s: follow-up steps failed: %s", run.as_of, failed)
        message = _("Scores were written; these follow-up steps failed: %(steps)s") % {
            "steps": ", ".join(failed)
        }
        ScoreRun.objects.filter(pk=run.pk).update(message=message)
        run.message = message
    tracker.step(5, 1.0)
    followups_queue(run, worker=queue_followups)
    if not queue_followups:
        followups_run(run_id=run.pk, progress=_follow_up_progress(progress))
        run.refresh_from_db()
        return run
    run.summary = summary
    return run


def _follow_up_progress(progress: Progress | None) -> Progress | None:
    """The progress the receivers of ``run_finished`` report, shown inside the
    run's last step and never going back (each receiver counts 0 to 1)."""
    if progress is None:
        return None
    start = 1.0 - STEPS[-1][1]
    shown = [start]

    def report(step: str, share: float) -> None:
        shown[0] = max(shown[0], start + STEPS[-1][1] * min(max(share, 0.0), 1.0))
        progress(step, min(shown[0], 1.0))

    return report


def _receiver_name(receiver: Any) -> str:
    return f"{getattr(receiver, '__module__', '?')}.{getattr(receiver, '__qualname__', '?')}"


def _require_orders(as_of: dt.date) -> None:
    from guanxi.commerce.selectors import order_exists_until

    if not order_exists_until(as_of):
        raise ValidationFailed(
            _(
                "There are no orders on or before %(date)s to score: import orders first."
            )
            % {"date": as_of.isoformat()}
        )


def _compute(run: ScoreRun, tracker: _Tracker) -> tuple[Any, dict[str, Any]]:
    settings = insight_settings()
    as_of = run.as_of
    unprofiled = unprofiled_for_run(as_of)
    with db.adbc_sources(2) as sources:
        if sources is not None:
            # SQLite, outside a transaction: two ADBC connections, results as
            # Arrow columns. SQLite runs one query per connection at a time:
            # the interactions on the second, in a thread, while the first
            # rolls up and reads the purchases (the driver lets go of the GIL).
            main, side = sources
            pool = ThreadPoolExecutor(max_workers=2)
            future = pool.submit(
                _interactions, side, side.execute, as_of, settings, side.sql
            )
            # This process waits for the roll-up: meanwhile the models'
            # modules load on the other core.
            warmed = pool.submit(_warm)
            pool.shutdown(wait=False)
            tracker.step(0)
            days = db.purchase_days_table(main, as_of=as_of, sqlite_execute=main.sql)
            warmed.result()
            return compute_scores(
                main,
                days,
                as_of=as_of,
                settings=settings,
                step=tracker.step,
                interactions=future.result,
                unprofiled=unprofiled,
            )
    # PostgreSQL, or inside a transaction: Django's own connection.
    with db.ibis_connection() as con:
        tracker.step(0)
        days = db.purchase_days_table(con, as_of=as_of)
        fetch = lambda expr: db.fetch_frame(con, expr)  # noqa: E731
        execute = db.django_execute if connection.vendor == "sqlite" else None

        def interactions() -> tuple[pd.DataFrame, ...]:
            return _interactions(con, fetch, as_of, settings, execute)

        return compute_scores(
            con,
            days,
            as_of=as_of,
            settings=settings,
            step=tracker.step,
            fetch=fetch,
            interactions=interactions,
            unprofiled=unprofiled,
        )


def compute_scores(
    con: Any,
    days: Any,
    *,
    as_of: dt.date,
    settings: Any,
    step: Callable[..., None] = lambda *a: None,
    fetch: Callable[[Any], pd.DataFrame] | None = None,
    interactions: Callable[[], tuple[pd.DataFrame, ...]] | None = None,
    unprofiled: set[int] | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Features on the Ibis connection ``con`` (the purchase days ``days``,
    its customers and interactions tables), then the models and labels.

    The scoring run calls it on the database; the benchmark's floor calls it
    on DuckDB over Parquet copies of the same tables. ``fetch`` runs an
    expression into a frame (default: the connection's own ``execute``);
    ``interactions`` gives the contact features now and at the cut-off and
    the engagement counts (default: computed on ``con`` after the purchases;
    the scoring run computes them in a thread beside). ``unprofiled``: the
    customers left out of every frame (minors without guardian consent).
    """
    from guanxi.analytics.churn import PURCHASE_WINDOWS
    from guanxi.insights.churn_fit import churn_fit
    from guanxi.insights.scoring import (
        CHURN_HORIZON_DAYS,
        CHURN_TRAINING_CUSTOMERS,
        churn_columns,
        clv_columns,
        score_frame,
    )

    run = fetch if fetch is not None else con.execute
    cutoff = as_of - dt.timedelta(days=CHURN_HORIZON_DAYS)
    cv_window = int(settings.cv_window_days)
    windows = sorted({*PURCHASE_WINDOWS, cv_window, int(settings.emotion_window_days)})
    standard = [
        c
        for c in _feature_columns(windows)
        if not _is_window(c) or int(c.rsplit("_", 1)[1][:-1]) in PURCHASE_WINDOWS
    ]
    step(1)
    customers = run(db.customer_ids(con))
    # The training sample first (a share of the buyers by id), so the churn
    # model learns in a thread while the database computes every buyer's
    # features: its fit needs nothing of them (the labels come with the
    # sample, as its purchase days after the cut-off).
    buyers = int(run(db.buyer_count(days, end=as_of))["buyers"].iloc[0])
    sample = max(1, -(-buyers // CHURN_TRAINING_CUSTOMERS))
    training = run(
        db.purchase_features(
            days,
            end=cutoff,
            windows=PURCHASE_WINDOWS,
            sample_every=sample,
            holdout_end=as_of,
        )
    )
    step(1, 0.3)
    contacts_now, contacts_then, engagement = (
        interactions()
        if interactions is not None
        else _interactions(con, run, as_of, settings)
    )
    contacts_then = contacts_then[contacts_then["customer_id"] % sample == 0]
    training, contacts_then = frames_without(
        unprofiled or set(), (training, contacts_then)
    )
    bought_after = set(
        training.loc[training["holdout_days_"] > 0, "customer_id"].astype(int).tolist()
    )
    # Two threads beside: the churn fit now, the purchase models (BG/NBD,
    # Gamma-Gamma) once the features are read. Both spend most of their time
    # in NumPy and scikit-learn code that lets go of the GIL, as does the
    # wait for the database, and the machine may have a second core.
    with ThreadPoolExecutor(max_workers=2) as pool:
        fitted = pool.submit(
            _timed,
            churn_fit,
            training=training.sort_values("customer_id", kind="stable")[standard],
            training_contacts=contacts_then,
            bought_after_cutoff=bought_after,
            cutoff=cutoff,
        )
        purchases = run(db.purchase_features(days, end=as_of, windows=windows))
        step(1, 0.85)
        customers, purchases, contacts_now, engagement = frames_without(
            unprofiled or set(), (customers, purchases, contacts_now, engagement)
        )
        purchases = purchases.sort_values("customer_id", kind="stable").reset_index(
            drop=True
        )
        step(2)
        clv_future = pool.submit(
            clv_columns,
            purchases.set_index("customer_id"),
            horizon_months=int(settings.pv_horizon_months),
        )
        waited = time.perf_counter()
        model, fit_seconds = fitted.result()
        waited = time.perf_counter() - waited
        churn, churn_info, churn_notes = churn_columns(
            model=model,
            cutoff=cutoff,
            current=purchases[standard],
            current_contacts=contacts_now,
        )
        step(2, 0.7)
        clv = clv_future.result()
    step(3)
    scored = score_frame(
        as_of=as_of,
        customers=customers,
        purchases=purchases,
        engagement=engagement,
        churn=churn,
        settings=settings,
        cv_window=cv_window,
        clv=clv,
    )
    scored.notes.extend(churn_notes)
    info = {
        "models": {**scored.models, "churn": churn_info},
        "settings": _settings_used(settings),
        "training_sample_every": sample,
        # For operators: how long the churn fit took beside the feature
        # reads, and how long the models then waited for it.
        "churn_fit": {
            "wall_seconds": round(fit_seconds, 2),
            "waited_seconds": round(waited, 2),
        },
    }
    return scored, info


def _timed(work: Callable[..., Any], **kwargs: Any) -> tuple[Any, float]:
    """``work(**kwargs)`` and its wall seconds."""
    started = time.perf_counter()
    return work(**kwargs), time.perf_counter() - started


def _warm() -> None:
    """Import what the features, models, labels and writing use (pandas,
    Ibis with its SQL compiler, SciPy, scikit-learn: about 5 CPU seconds)."""
    import ibis

    import guanxi.analytics.churn
    import guanxi.analytics.clv
    import guanxi.insights.churn_fit
    import guanxi.insights.scoring
    import guanxi.insights.snapshots_write  # noqa: F401

    # Ibis builds its SQLite compiler on first use.
    ibis.to_sql(ibis.table({"x": "int64"}, name="t"), dialect="sqlite")


def _interactions(
    con: Any,
    fetch: Callable[[Any], pd.DataFrame],
    as_of: dt.date,
    settings: Any,
    sqlite_execute: Any = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Contact features at the as-of date and at the churn cut-off, and the
    engagement counts of the emotion window, from one table of interactions."""
    from guanxi.analytics.churn import CONTACT_WINDOWS
    from guanxi.insights.scoring import CHURN_HORIZON_DAYS

    cutoff = as_of - dt.timedelta(days=CHURN_HORIZON_DAYS)
    rows = db.interactions_table(con, as_of=as_of, sqlite_execute=sqlite_execute)
    return (
        fetch(db.contact_features(rows, end=as_of, windows=CONTACT_WINDOWS)),
        fetch(db.contact_features(rows, end=cutoff, windows=CONTACT_WINDOWS)),
        fetch(
            db.engagement_counts(
                rows, as_of=as_of, window_days=int(settings.emotion_window_days)
            )
        ),
    )


def _feature_columns(windows: list[int]) -> list[str]:
    from guanxi.analytics.features import _FEATURE_COLUMNS, _windowed

    return [*_FEATURE_COLUMNS, *_windowed(windows)]


def _is_window(column: str) -> bool:
    return column.endswith("d") and column.rsplit("_", 1)[-1][:-1].isdigit()


def _settings_used(settings: Any) -> dict[str, Any]:
    used = {}
    for field in settings._meta.concrete_fields:
        if field.name in {"id", "updated_at"}:
            continue
        value = getattr(settings, field.name)
        used[field.name] = float(value) if hasattr(value, "as_tuple") else value
    return used


def _finish(
    run: ScoreRun, scored: Any, info: dict[str, Any], tracker: _Tracker, started: float
) -> dict[str, Any]:
    tracker.step(5)
    frame = scored.frame
    previous = (
        ScoreRun.objects.filter(status=RunStatus.DONE, as_of__lt=run.as_of)
        .order_by("-as_of")
        .values_list("as_of", flat=True)
        .first()
    )
    segments = Counter(s for s in frame["rfm_segment"].tolist() if s)
    summary = {
        "as_of": run.as_of.isoformat(),
        "customers": len(frame),
        "segments": dict(sorted(segments.items())),
        "quadrants": {
            q.value: int((frame["quadrant"] == q.value).sum()) for q in Quadrant
        },
        "stages": {s.value: int((frame["stage"] == s.value).sum()) for s in Stage},
        "emotions": frame["emotion"].value_counts().sort_index().astype(int).to_dict(),
        "previous_as_of": previous.isoformat() if previous else None,
        "notes": scored.notes,
        **info,
    }
    with transaction.atomic():
        StageChange.objects.filter(as_of=run.as_of).delete()
        if previous is not None:
            _record_stage_changes(run.as_of, previous)
        summary["seconds"] = round(time.monotonic() - started, 2)
        ScoreRun.objects.filter(pk=run.pk).update(
            status=RunStatus.DONE,
            customers=len(frame),
            summary=summary,
            progress=100,
            step="done",
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
            seconds=summary["seconds"],
        )
    return summary


def _record_stage_changes(as_of: dt.date, previous: dt.date) -> None:
    """One change per customer whose stage differs from the previous run's
    (or who was not scored then), set-based in the database."""
    snapshot = ScoreSnapshot._meta.db_table
    change = StageChange._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {change} (customer_id, as_of, from_stage, to_stage) "
            f"SELECT s.customer_id, s.as_of, COALESCE(p.stage, ''), s.stage "
            f"FROM {snapshot} s LEFT JOIN {snapshot} p "
            "ON p.customer_id = s.customer_id AND p.as_of = %s "
            "WHERE s.as_of = %s AND (p.stage IS NULL OR p.stage <> s.stage)",
            [previous.isoformat(), as_of.isoformat()],
        )
