"""A condition step as a filter over enrolments: the profile, tags, the
latest scores, and what the customer did since entering (bought, answered a
survey, the reason recorded on a closed care task)."""

from __future__ import annotations

from typing import Any

from django.db.models import Avg, Exists, F, OuterRef, Q

from guanxi.access.policies import manager_scope_field
from guanxi.care.selectors import task_scope
from guanxi.commerce.selectors import purchase_rows
from guanxi.core.errors import ValidationFailed
from guanxi.customers.selectors import customer_has_tag, tag_by_name
from guanxi.insights.selectors import latest_as_of, snapshot_rows
from guanxi.journeys.definition import PROFILE_FIELDS, SCORE_FIELDS
from guanxi.segments.selectors import everyone_actor
from guanxi.surveys.selectors import answer_scope

__all__ = ["condition_q"]

_OPS = {"eq": "exact", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte"}


def _compare(path: str, op: str, value: Any) -> Q:
    if op == "ne":
        return ~Q(**{path: value})
    return Q(**{f"{path}__{_OPS[op]}": value})


def _holds(q: Q, value: bool) -> Q:
    return q if value else ~q


def _score(name: str, op: str, value: Any) -> Q:
    day = latest_as_of()
    if day is None:
        return Q(pk__in=[])
    if op == "ne":
        match = ~Q(**{name: value}) & Q(**{f"{name}__isnull": False})
    else:
        match = Q(**{f"{name}__{_OPS[op]}": value})
    return Q(
        Exists(
            snapshot_rows(as_of=day).filter(match, customer_id=OuterRef("customer_id"))
        )
    )


def _value_vs_average(op: str, value: Any) -> Q:
    """Current value (spend in the scoring's CV window, 180 days by default)
    over the average current value of the latest run's buyers: 1 is the
    average."""
    day = latest_as_of()
    if day is None:
        return Q(pk__in=[])
    rows = snapshot_rows(as_of=day)
    average = rows.filter(current_value__gt=0).aggregate(a=Avg("current_value"))["a"]
    if not average:
        return Q(pk__in=[])
    match = _compare("current_value", op, float(value) * float(average))
    return Q(Exists(rows.filter(match, customer_id=OuterRef("customer_id"))))


def _first_order_below_average(value: bool) -> Q:
    """No purchase yet, or a first order below the average order (seed 002,
    3.4: 注册30天内未完成首单/首单金额低于平均水平)."""
    average = purchase_rows().aggregate(a=Avg("amount"))["a"]
    none_yet = Q(customer__first_purchase_at__isnull=True)
    if average is None:
        return _holds(none_yet, value)
    small = Exists(
        purchase_rows().filter(
            customer_id=OuterRef("customer_id"),
            ordered_at=OuterRef("customer__first_purchase_at"),
            amount__lt=average,
        )
    )
    return _holds(none_yet | Q(small), value)


def condition_q(step: dict[str, Any]) -> Q:
    """The enrolments for which a condition step holds, as a filter."""
    name, op, value = step["field"], step["op"], step["value"]
    if name == "has_manager":
        return Q(**{f"{manager_scope_field(via='customer')}__isnull": not value})
    if name == "first_order_below_average":
        return _first_order_below_average(value)
    if name in PROFILE_FIELDS:
        return _compare(f"customer__{name}", op, value)
    if name == "purchased_since_entry":
        return _holds(Q(customer__last_purchase_at__gt=F("entered_at")), value)
    if name == "survey_answered_since_entry":
        answered = answer_scope(actor=everyone_actor()).filter(
            customer_id=OuterRef("customer_id"), answered_at__gte=OuterRef("entered_at")
        )
        return _holds(Q(Exists(answered)), value)
    if name == "task_reason":
        closed = task_scope(actor=everyone_actor()).filter(
            customer_id=OuterRef("customer_id"),
            closed_at__gte=OuterRef("entered_at"),
            leave_reason=value,
        )
        return _holds(Q(Exists(closed)), op == "eq")
    if name == "value_vs_average":
        return _value_vs_average(op, value)
    if name == "tag":
        tag = tag_by_name(value)
        has = (
            Q(customer_has_tag(tag.pk, customer="customer_id"))
            if tag is not None
            else Q(pk__in=[])
        )
        return has if op == "has" else ~has
    if name in SCORE_FIELDS:
        return _score(name, op, value)
    raise ValidationFailed(f"unknown field {name!r}")
