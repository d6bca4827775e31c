"""The thresholds of the automatic tag rules, and the tag coverage of each run.

The tags themselves and the customer-tag links belong to the customers app
(``customers.Tag``, ``customers.CustomerTag``); this app decides which
automatic tags the data gives and records how well tagged customers are.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TagRules(models.Model):
    """The thresholds of the automatic tags (one row, id 1; docs/tags.md).

    Defaults from the seed playbooks where they give a number: high-value
    customers are the top 20 %; 80 % of active customers should carry 20 tags
    or more; "no purchase for 30 days" is a warning, so a monthly rhythm is
    what a repurchase reminder is built on. The others are ours, stated in
    docs/tags.md.
    """

    # Value and risk.
    vip_top_percent = models.FloatField(
        _("VIP: top percent of buyers by total spend (or a star)"), default=20.0
    )
    churn_risk_high = models.FloatField(
        _("high churn risk: churn risk from"), default=0.7
    )
    # Purchase preferences (from the orders of the window).
    preference_window_days = models.PositiveSmallIntegerField(
        _("preferences: days of orders"), default=365
    )
    preference_min_days = models.PositiveSmallIntegerField(
        _("preferences: purchase days at least"), default=2
    )
    category_min_percent = models.FloatField(
        _("preferred category: percent of spend from"), default=30.0
    )
    category_max = models.PositiveSmallIntegerField(
        _("preferred categories: at most"), default=3
    )
    channel_min_percent = models.FloatField(
        _("preferred channel: percent of purchases from"), default=50.0
    )
    weekend_min_percent = models.FloatField(
        _("weekend shopper: percent of purchase days on Sat/Sun from"), default=60.0
    )
    weekend_min_days = models.PositiveSmallIntegerField(
        _("weekend shopper: purchase days at least"), default=3
    )
    # Repurchase rhythm (usual days between purchases).
    rhythm_min_orders = models.PositiveSmallIntegerField(
        _("rhythm: purchase days at least"), default=3
    )
    rhythm_weekly_days = models.PositiveSmallIntegerField(
        _("buys weekly: usual gap up to days"), default=10
    )
    rhythm_monthly_days = models.PositiveSmallIntegerField(
        _("buys monthly: usual gap up to days"), default=45
    )
    rhythm_quarterly_days = models.PositiveSmallIntegerField(
        _("buys quarterly: usual gap up to days"), default=120
    )
    # Usage scenario.
    business_min_quantity = models.PositiveSmallIntegerField(
        _("business: items in one order from"), default=10
    )
    business_min_orders = models.PositiveSmallIntegerField(
        _("business: such orders at least"), default=2
    )
    home_min_orders = models.PositiveSmallIntegerField(
        _("home: small orders at least (and no large one)"), default=3
    )
    # Needs stage.
    needs_window_days = models.PositiveSmallIntegerField(
        _("needs stage: days of interactions"), default=90
    )
    decision_days = models.PositiveSmallIntegerField(
        _("decision: a visit or click within days"), default=30
    )
    loyalty_min_orders = models.PositiveSmallIntegerField(
        _("loyalty: purchase days at least"), default=3
    )
    # Coverage.
    active_days = models.PositiveSmallIntegerField(
        _("active customer: a purchase within days"), default=365
    )
    coverage_min_tags = models.PositiveSmallIntegerField(
        _("coverage: tags per customer at least"), default=20
    )
    coverage_target_percent = models.FloatField(
        _("coverage target: percent of active customers"), default=80.0
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("tag rules")
        verbose_name_plural = _("tag rules")

    def __str__(self) -> str:
        return "tag rules"


class TagCoverage(models.Model):
    """How well customers were tagged after one scoring run (one row per run
    date), and what the run changed in the automatic tags."""

    as_of = models.DateField(_("as of"), unique=True)
    active_customers = models.PositiveIntegerField(_("active customers"), default=0)
    covered_customers = models.PositiveIntegerField(
        _("active customers with enough tags"), default=0
    )
    min_tags = models.PositiveSmallIntegerField(_("tags at least"), default=20)
    target_percent = models.FloatField(_("target (percent)"), default=80.0)
    links = models.BigIntegerField(_("customer tags"), default=0)
    automatic_links = models.BigIntegerField(_("automatic customer tags"), default=0)
    added = models.BigIntegerField(_("automatic tags added"), default=0)
    removed = models.BigIntegerField(_("automatic tags removed"), default=0)
    seconds = models.FloatField(_("seconds"), default=0.0)
    recorded_at = models.DateTimeField(_("recorded"), auto_now=True)

    class Meta:
        ordering = ["-as_of"]
        verbose_name = _("tag coverage")
        verbose_name_plural = _("tag coverage")

    def __str__(self) -> str:
        return f"{self.as_of}: {self.covered_customers}/{self.active_customers}"

    @property
    def percent(self) -> float | None:
        """Share of active customers with at least ``min_tags`` tags, in %."""
        if not self.active_customers:
            return None
        return 100.0 * self.covered_customers / self.active_customers

    @property
    def on_target(self) -> bool:
        share = self.percent
        return share is not None and share >= self.target_percent
