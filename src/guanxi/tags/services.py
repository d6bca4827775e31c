"""Writes of the tags app: the automatic tags and the coverage of a scoring run,
and the rules' thresholds.

:func:`tags_after_run` is the receiver of ``insights.services.run_finished``:
after a run's snapshots are committed it replaces the automatic tags with the
ones the data gives now (:mod:`guanxi.tags.rules`) and records the tag
coverage, in one transaction: a failure leaves the tags of the last run.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.audit.services import settings_changed
from guanxi.core.bulk import bulk_session
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.customers.selectors import customer_tag_count, tag_link_totals
from guanxi.customers.services import (
    AutomaticTagChange,
    AutomaticTagWriter,
    tags_automatic_ensure,
)
from guanxi.insights.selectors import latest_as_of, snapshot_rows
from guanxi.privacy.selectors import minors_unprofiled
from guanxi.tags.models import TagCoverage, TagRules
from guanxi.tags.rules import automatic_tags_write
from guanxi.tags.selectors import tag_rules
from guanxi.tags.window import window_pairs_read

__all__ = [
    "automatic_tags_refresh",
    "tag_coverage_record",
    "tag_rules_update",
    "tags_after_run",
]

Progress = Callable[[str, float], None]


def tags_after_run(
    sender: Any, *, run: Any, progress: Progress | None = None, **kwargs: Any
) -> None:
    """Receiver of ``run_finished``: the automatic tags and the coverage of the
    latest run. A run for an earlier date than the latest leaves the tags as
    they are (they describe the customers now)."""
    latest = latest_as_of()
    if latest is not None and run.as_of < latest:
        return
    automatic_tags_refresh(as_of=run.as_of, progress=progress)


def automatic_tags_refresh(
    *, as_of: dt.date, progress: Progress | None = None
) -> TagCoverage:
    """Replace the automatic tags with the ones the data gives as of ``as_of``
    (the snapshots of that date must be written) and record the coverage.
    Running it twice gives the same tags and changes nothing the second time."""
    started = time.monotonic()
    rules = tag_rules()
    # The preference window's pairs read and computed first, before the
    # writing transaction (on SQLite outside one; None elsewhere: then the
    # rules run in the database, below).
    window_pairs = window_pairs_read(as_of=as_of, rules=rules)
    if progress is not None:
        progress("tags", 0.4)
    # Outside a transaction on SQLite: temporary tables on disk, not in memory
    # (the window's orders and lines at 1M customers are hundreds of MB).
    with bulk_session(), transaction.atomic():
        writer = AutomaticTagWriter()
        automatic_tags_write(
            as_of=as_of,
            rules=rules,
            writer=writer,
            ensure=lambda specs: tags_automatic_ensure(specs=specs),
            progress=progress,
            window_pairs=window_pairs,
        )
        # Minors without their guardian's consent are not profiled (PIPL
        # art. 31): no automatic tag, as the run gave them no scores.
        writer.leave_out(minors_unprofiled(today=as_of))
        change = writer.finish()
        if progress is not None:
            progress("tags", 0.9)
        coverage = tag_coverage_record(
            as_of=as_of,
            rules=rules,
            change=change,
            seconds=time.monotonic() - started,
        )
    if progress is not None:
        progress("tags", 1.0)
    return coverage


def tag_coverage_record(
    *,
    as_of: dt.date,
    rules: TagRules,
    change: AutomaticTagChange | None = None,
    seconds: float = 0.0,
) -> TagCoverage:
    """Count the active customers (a purchase within ``rules.active_days`` of
    ``as_of``) and those of them with ``rules.coverage_min_tags`` tags or more,
    and store it as the coverage of ``as_of``."""
    active = snapshot_rows(as_of=as_of).filter(
        days_since_last_purchase__lte=rules.active_days
    )
    counts = active.aggregate(n=_count())
    covered = (
        active.annotate(tags=customer_tag_count("customer_id"))
        .filter(tags__gte=rules.coverage_min_tags)
        .aggregate(n=_count())
    )
    totals = tag_link_totals()
    coverage, _created = TagCoverage.objects.update_or_create(
        as_of=as_of,
        defaults={
            "active_customers": counts["n"],
            "covered_customers": covered["n"],
            "min_tags": rules.coverage_min_tags,
            "target_percent": rules.coverage_target_percent,
            "links": totals["links"],
            "automatic_links": totals["automatic"],
            "added": change.added if change is not None else 0,
            "removed": change.removed if change is not None else 0,
            "seconds": round(seconds, 3),
        },
    )
    return coverage


def _count() -> Count:
    return Count("*")


#: The editable thresholds, with their accepted range.
RULE_LIMITS: dict[str, tuple[float, float]] = {
    "vip_top_percent": (0.0, 100.0),
    "churn_risk_high": (0.0, 1.0),
    "preference_window_days": (1, 3660),
    "preference_min_days": (1, 1000),
    "category_min_percent": (0.0, 100.0),
    "category_max": (1, 50),
    "channel_min_percent": (0.0, 100.0),
    "weekend_min_percent": (0.0, 100.0),
    "weekend_min_days": (1, 1000),
    "rhythm_min_orders": (2, 1000),
    "rhythm_weekly_days": (1, 3660),
    "rhythm_monthly_days": (1, 3660),
    "rhythm_quarterly_days": (1, 3660),
    "business_min_quantity": (1, 1_000_000),
    "business_min_orders": (1, 1000),
    "home_min_orders": (1, 1000),
    "needs_window_days": (1, 3660),
    "decision_days": (1, 3660),
    "loyalty_min_orders": (1, 1000),
    "active_days": (1, 3660),
    "coverage_min_tags": (1, 1000),
    "coverage_target_percent": (0.0, 100.0),
}


@transaction.atomic
def tag_rules_update(*, actor: Any, values: dict[str, Any]) -> TagRules:
    """Change thresholds of the automatic tags (whoever manages tags: admins
    and operations); they apply from the next scoring run."""
    if not policy_for(actor).may_manage_tags:
        raise PermissionDenied(_("your role may not manage tags"))
    rules = tag_rules()
    before = {name: getattr(rules, name, None) for name in RULE_LIMITS}
    for name, raw in values.items():
        if name not in RULE_LIMITS:
            raise ValidationFailed(_("unknown field: %(f)s") % {"f": name})
        low, high = RULE_LIMITS[name]
        whole = isinstance(low, int)
        try:
            number = float(str(raw).strip())
        except ValueError:
            raise ValidationFailed(_("enter a number"), field=name) from None
        if number != number or not low <= number <= high:
            raise ValidationFailed(
                _("enter a number from %(low)s to %(high)s")
                % {"low": low, "high": high},
                field=name,
            )
        if whole and not number.is_integer():
            raise ValidationFailed(_("enter a whole number"), field=name)
        setattr(rules, name, int(number) if whole else number)
    if not (
        rules.rhythm_weekly_days
        <= rules.rhythm_monthly_days
        <= rules.rhythm_quarterly_days
    ):
        raise ValidationFailed(
            _("the rhythm limits must grow: weekly ≤ monthly ≤ quarterly")
        )
    rules.pk = 1
    rules.save()
    settings_changed(
        actor=actor,
        settings="tag_rules",
        fields=[n for n in RULE_LIMITS if getattr(rules, n) != before[n]],
    )
    return rules
