"""Scores of customers, one dated snapshot per customer and run, history kept.

A :class:`ScoreRun` is one scoring of every customer as of a date; it writes one
:class:`ScoreSnapshot` per customer for that date (unique per customer and
date: running the same date again rewrites the same rows), and a
:class:`StageChange` when a customer's lifecycle stage differs from their
previous snapshot's (once per customer and date). :class:`InsightSettings` holds
the business's cut points and rules (one row).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.customers.models import Customer
from guanxi.insights.choices import (
    ActionChannel,
    Emotion,
    FollowupStatus,
    Quadrant,
    RunStatus,
    Stage,
)


class ScoreRun(models.Model):
    """One scoring of every customer as of a date (its progress and its summary)."""

    as_of = models.DateField(_("as of"), unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    step = models.CharField(_("step"), max_length=32, blank=True, default="")
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    #: Snapshots are written in ascending customer id; a resumed run starts
    #: after this id.
    written_through = models.BigIntegerField(default=0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True, default="")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    seconds = models.FloatField(_("seconds"), null=True, blank=True)
    #: The follow-up chain (tags → segment counts → warnings): its state and
    #: its last sign of life; one chain per run writes (insights.followups).
    followups = models.CharField(
        _("follow-ups"),
        max_length=12,
        choices=FollowupStatus.choices,
        default=FollowupStatus.NONE,
        # In the database too: a process of the commit before can still
        # insert runs (rolling upgrades, the benchmark's base).
        db_default=FollowupStatus.NONE,
        blank=True,
    )
    followups_at = models.DateTimeField(
        _("follow-ups' last sign of life"), null=True, blank=True
    )

    class Meta:
        ordering = ["-as_of"]
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")

    def __str__(self) -> str:
        return f"{self.as_of} ({self.status})"


#: Segments (guanxi.segments): every score a rule may test, so that counting
#: a rule tree over a run reads this index alone (0.1-0.2 s at 1,000,000
#: customers, not 1.2 s through the table). Customer second: a run writes in
#: customer order, so the index grows at its end (+2 s of CPU per 1,000,000
#: snapshots written; +6.6 s with the quadrant second).
#: docs/benchmarks/segments.md.
SEGMENT_INDEX_FIELDS = [
    "as_of", "customer", "quadrant", "stage", "emotion", "rfm_segment",
    "days_since_last_purchase", "orders_30d", "spend_30d", "churn_risk", "p_alive",
    "value_score", "r_score", "f_score", "m_score", "current_value",
    "potential_value", "expected_purchases_90d", "orders", "total_spend",
]  # fmt: skip


class ScoreSnapshot(models.Model):
    """A customer's scores as of one date. Money in the business's currency."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="score_snapshots",
        verbose_name=_("customer"),
        db_index=False,  # the unique (customer, as_of) index serves it
    )
    as_of = models.DateField(_("as of"))
    # Purchase history at the date (empty for a prospect).
    orders = models.PositiveIntegerField(_("orders"), default=0)
    total_spend = models.FloatField(_("total spend"), default=0.0)
    first_purchase = models.DateField(_("first purchase"), null=True, blank=True)
    last_purchase = models.DateField(_("last purchase"), null=True, blank=True)
    days_since_last_purchase = models.PositiveIntegerField(
        _("days since last purchase"), null=True, blank=True
    )
    mean_gap_days = models.FloatField(
        _("usual days between purchases"), null=True, blank=True
    )
    # The last 30 days (the seed playbook's monthly thresholds: F ≥ 3 a month,
    # M ≥ 800), and the current-value window's order days.
    orders_30d = models.PositiveIntegerField(_("purchase days in 30 days"), default=0)
    spend_30d = models.FloatField(_("spend in 30 days"), default=0.0)
    # RFM (1 = lowest, 5 = highest), its segment.
    r_score = models.PositiveSmallIntegerField(_("R score"), null=True, blank=True)
    f_score = models.PositiveSmallIntegerField(_("F score"), null=True, blank=True)
    m_score = models.PositiveSmallIntegerField(_("M score"), null=True, blank=True)
    rfm_segment = models.CharField(_("RFM segment"), max_length=32, blank=True)
    # Value.
    current_value = models.FloatField(_("current value"), default=0.0)
    potential_value = models.FloatField(_("potential value"), default=0.0)
    value_score = models.FloatField(_("value score"), default=0.0)
    quadrant = models.CharField(_("quadrant"), max_length=12, choices=Quadrant.choices)
    # Life with the business.
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    emotion = models.CharField(
        _("emotion layer"), max_length=12, choices=Emotion.choices
    )
    emotion_reasons = models.JSONField(_("emotion reasons"), default=list, blank=True)
    # Models.
    p_alive = models.FloatField(_("P(alive)"), null=True, blank=True)
    expected_purchases_90d = models.FloatField(
        _("expected purchases in 90 days"), null=True, blank=True
    )
    churn_risk = models.FloatField(_("churn risk"), null=True, blank=True)
    churn_reasons = models.JSONField(_("churn reasons"), default=list, blank=True)

    class Meta:
        ordering = ["customer_id", "-as_of"]
        verbose_name = _("score snapshot")
        verbose_name_plural = _("score snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "as_of"], name="snapshot_customer_as_of_unique"
            ),
        ]
        indexes = [
            # Segments: "quadrant = star ∧ stage = at risk ∧ …" is a range of
            # it read alone, in customer order (a page walks it newest first);
            # "quadrant = …" alone a range too. It replaces (as_of, quadrant).
            models.Index(
                fields=["as_of", "quadrant", "stage", "customer"],
                name="snapshot_quadrant_stage_idx",
            ),
            models.Index(fields=["as_of", "stage"], name="snapshot_stage_idx"),
            models.Index(fields=SEGMENT_INDEX_FIELDS, name="snapshot_segment_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} @ {self.as_of}"


class StageChange(models.Model):
    """A customer's lifecycle stage changed at a scoring run (a timeline event)."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="stage_changes",
        verbose_name=_("customer"),
        db_index=False,  # the unique (customer, as_of) index serves it
    )
    as_of = models.DateField(_("as of"))
    from_stage = models.CharField(
        _("from"), max_length=12, choices=Stage.choices, blank=True
    )
    to_stage = models.CharField(_("to"), max_length=12, choices=Stage.choices)

    class Meta:
        ordering = ["customer_id", "-as_of"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "as_of"], name="stage_change_once_unique"
            ),
        ]
        indexes = [models.Index(fields=["as_of", "to_stage"], name="stage_change_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_stage} → {self.to_stage} @ {self.as_of}"


class InsightSettings(models.Model):
    """The business's cut points and rules for scoring runs (one row, id 1).

    Defaults come from the seed playbooks: current value is the spend of the
    last 6 months, potential value the predicted spend of the next 12; "high"
    is the top 20 % (or an amount); a new customer bought first within 30
    days, a mature one has been a customer for 180 days or more.
    """

    class CutMethod(models.TextChoices):
        PERCENTILE = "percentile", _("Top share of customers")
        AMOUNT = "amount", _("Amount")

    # Value quadrant.
    cv_window_days = models.PositiveSmallIntegerField(
        _("current value: days of spend"), default=180
    )
    pv_horizon_months = models.PositiveSmallIntegerField(
        _("potential value: months ahead"), default=12
    )
    cut_method = models.CharField(
        _("what counts as high"),
        max_length=12,
        choices=CutMethod.choices,
        default=CutMethod.PERCENTILE,
    )
    cv_top_percent = models.FloatField(_("high current value: top %"), default=20.0)
    pv_top_percent = models.FloatField(_("high potential value: top %"), default=20.0)
    cv_cut_amount = models.DecimalField(
        _("high current value from"), max_digits=12, decimal_places=2, default=5000
    )
    pv_cut_amount = models.DecimalField(
        _("high potential value from"), max_digits=12, decimal_places=2, default=5000
    )
    weight_spend = models.FloatField(_("value score: weight of spend"), default=0.6)
    weight_frequency = models.FloatField(
        _("value score: weight of order frequency"), default=0.2
    )
    weight_repurchase = models.FloatField(
        _("value score: weight of repurchase rate"), default=0.2
    )
    # Lifecycle stage.
    new_days = models.PositiveSmallIntegerField(
        _("new: first purchase within days"), default=30
    )
    mature_days = models.PositiveSmallIntegerField(
        _("mature: customer for at least days"), default=180
    )
    at_risk_p_alive = models.FloatField(_("at risk: P(alive) below"), default=0.5)
    at_risk_gap_factor = models.FloatField(
        _("at risk: days since last purchase above × usual gap"), default=2.0
    )
    at_risk_days = models.PositiveSmallIntegerField(
        _("at risk: one-time buyer silent for days"), default=60
    )
    lapsed_days = models.PositiveSmallIntegerField(
        _("lapsed: no purchase for days"), default=180
    )
    lapsed_gap_factor = models.FloatField(
        _("lapsed: and above × usual gap"), default=4.0
    )
    # Emotion layer: points for engagement in the window, a complaint costs.
    emotion_window_days = models.PositiveSmallIntegerField(
        _("emotion: days of engagement"), default=90
    )
    fan_points = models.FloatField(_("fan: points from"), default=12.0)
    drifting_points = models.FloatField(_("drifting: points below"), default=1.0)
    drifting_complaints = models.PositiveSmallIntegerField(
        _("drifting: complaints from"), default=2
    )
    points_visit = models.FloatField(_("points per visit"), default=2.0)
    points_login = models.FloatField(_("points per login"), default=0.5)
    points_message_opened = models.FloatField(
        _("points per message opened"), default=0.5
    )
    points_message_clicked = models.FloatField(
        _("points per message clicked"), default=1.0
    )
    points_community_post = models.FloatField(
        _("points per community post"), default=3.0
    )
    points_event_attended = models.FloatField(
        _("points per event attended"), default=4.0
    )
    points_review = models.FloatField(_("points per review"), default=2.0)
    points_purchase = models.FloatField(
        _("points per purchase day in the window"), default=1.0
    )
    points_complaint = models.FloatField(_("points per complaint"), default=-4.0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("insight settings")
        verbose_name_plural = _("insight settings")

    def __str__(self) -> str:
        return "insight settings"


class PlaybookAction(models.Model):
    """The playbook: a recommended next action for customers of a lifecycle
    stage and a value quadrant (blank: any), in both languages.

    One row per (stage, quadrant) cell. For a customer the most specific row
    wins (stage and quadrant, then one of them, then neither); between a
    stage-only and a quadrant-only row the higher priority wins
    (:mod:`guanxi.insights.playbook.lookup`). Defaults come from the seed
    playbooks (migration ``0002_playbook``).
    """

    stage = models.CharField(
        _("stage"), max_length=12, choices=Stage.choices, blank=True, default=""
    )
    quadrant = models.CharField(
        _("quadrant"), max_length=12, choices=Quadrant.choices, blank=True, default=""
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        default=50,
        help_text=_(
            "0–100. Decides between a rule for a stage and a rule for a quadrant "
            "that both fit a customer: the higher one is recommended."
        ),
    )
    title_zh = models.CharField(_("title (Chinese)"), max_length=80)
    title_en = models.CharField(_("title (English)"), max_length=80)
    text_zh = models.TextField(_("what to do (Chinese)"), max_length=1000)
    text_en = models.TextField(_("what to do (English)"), max_length=1000)
    channel = models.CharField(
        _("suggested channel"),
        max_length=8,
        choices=ActionChannel.choices,
        blank=True,
        default="",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        ordering = ["-priority", "stage", "quadrant"]
        verbose_name = _("playbook action")
        verbose_name_plural = _("playbook actions")
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "quadrant"],
                name="playbook_cell_unique",
                violation_error_message=_(
                    "The playbook already has an action for this stage and quadrant."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stage or '*'} × {self.quadrant or '*'}: {self.title_en}"


class RunFigures(models.Model):
    """The dashboard's figures of one finished run, for a scope of customers.

    Written once per run (:mod:`guanxi.insights.figures`): ``scope`` is
    ``"all"`` for every customer and ``"user-<id>"`` for an account manager's
    customers (the keys of :attr:`guanxi.access.scope.CustomerScope.cache_key`),
    so a dashboard reads one small row instead of a million snapshots.
    """

    run = models.ForeignKey(
        ScoreRun,
        on_delete=models.CASCADE,
        related_name="figures",
        verbose_name=_("scoring run"),
        db_index=False,  # the unique (run, scope) index serves it
    )
    scope = models.CharField(_("scope"), max_length=32)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    high_value = models.PositiveIntegerField(_("high-value customers"), default=0)
    #: Counts by quadrant, stage and emotion, the R × F grid, the potential
    #: value histogram and the stage flow from the previous run.
    figures = models.JSONField(_("figures"), default=dict)

    class Meta:
        verbose_name = _("run figures")
        verbose_name_plural = _("run figures")
        constraints = [
            models.UniqueConstraint(
                fields=["run", "scope"], name="run_figures_scope_unique"
            ),
        ]
        indexes = [models.Index(fields=["scope", "run"], name="run_figures_scope_idx")]

    def __str__(self) -> str:
        return f"{self.run_id} / {self.scope}"
