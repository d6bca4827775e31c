"""The action steps of a journey run for a claimed batch of enrolments:
send a message, create a task, tag, issue a coupon, pick a product to
recommend, send a survey. Held-out customers walk the steps but are sent
nothing, given no task and no coupon (recorded as ``held out``).

What one step hands to a later one (a coupon's code, a recommended product)
is kept in the enrolment's ``values`` and given to every message the
enrolment sends afterwards as template values (``coupon_code``,
``product``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from guanxi.care.services import journey_tasks_create
from guanxi.core.errors import DomainError, ValidationFailed
from guanxi.coupons.choices import journey_source
from guanxi.coupons.selectors import coupon_definition_list, recommend_for
from guanxi.coupons.services import coupons_issue
from guanxi.customers.selectors import customer_rows
from guanxi.customers.services import customer_tags_bulk_add, customer_tags_bulk_remove
from guanxi.journeys.choices import StepOutcome
from guanxi.journeys.definition import Definition
from guanxi.journeys.models import Enrolment, Journey
from guanxi.messaging.selectors import template_by_name
from guanxi.messaging.services import broadcast_send_customers
from guanxi.surveys.choices import Trigger
from guanxi.surveys.selectors import survey_list
from guanxi.surveys.services import invitations_send

__all__ = ["Batch", "Runs", "run_action"]

#: (enrolment, step, outcome, detail) of each step run.
Runs = list[tuple[int, str, str, str]]


@dataclass
class Batch:
    journey: Journey
    version_id: int
    definition: Definition
    step: dict[str, Any]
    ids: list[int]
    moment: dt.datetime


@dataclass
class _Row:
    pk: int
    customer_id: int
    holdout: bool
    entry_key: str
    values: dict[str, str]


def _rows(ids: Sequence[int]) -> list[_Row]:
    return [
        _Row(pk, customer_id, holdout, key, values or {})
        for pk, customer_id, holdout, key, values in Enrolment.objects.filter(
            pk__in=ids
        )
        .order_by("pk")
        .values_list("pk", "customer_id", "holdout", "entry_key", "values")
    ]


def _held(rows: list[_Row], sid: str) -> tuple[list[_Row], Runs]:
    """The rows reached, and the held-out rows' runs."""
    reach = [r for r in rows if not r.holdout]
    return reach, [
        (r.pk, sid, StepOutcome.HELD_OUT.value, "") for r in rows if r.holdout
    ]


def _keep(rows: list[_Row], name: str, found: dict[int, str]) -> None:
    """Store ``found`` (customer → value) as ``name`` in the enrolments."""
    changed = []
    for row in rows:
        if row.customer_id in found:
            row.values = {**row.values, name: found[row.customer_id]}
            changed.append(Enrolment(pk=row.pk, values=row.values))
    Enrolment.objects.bulk_update(changed, ["values"], batch_size=1000)


def _message(batch: Batch, rows: list[_Row]) -> tuple[Runs, int]:
    sid = batch.step["id"]
    reach, runs = _held(rows, sid)
    if not reach:
        return runs, 0
    name = batch.step["template"]
    template = template_by_name(name)
    outcome, detail, queued = StepOutcome.QUEUED.value, name, 0
    if template is None:
        outcome, detail = StepOutcome.FAILED.value, f"no template {name!r}"
    else:
        own = {r.customer_id: r.values for r in reach if r.values}
        try:
            count = broadcast_send_customers(
                template=template,
                customers=customer_rows().filter(pk__in=[r.customer_id for r in reach]),
                audience=f"journey {batch.journey.slug} · {sid}",
                now=batch.moment,
                values=own or None,
            )
            queued = count.queued
        except ValidationFailed as error:
            outcome, detail = StepOutcome.FAILED.value, error.message
    runs += [(r.pk, sid, outcome, detail) for r in reach]
    return runs, queued


def _task(batch: Batch, rows: list[_Row]) -> Runs:
    sid = batch.step["id"]
    reach, runs = _held(rows, sid)
    if reach:
        journey_tasks_create(
            customer_ids=[r.customer_id for r in reach],
            note=batch.step["note"],
            due_on=timezone.localdate(batch.moment)
            + dt.timedelta(days=batch.step["due_days"]),
            now=batch.moment,
        )
        runs += [(r.pk, sid, StepOutcome.TASK.value, "") for r in reach]
    return runs


def _tag(batch: Batch, rows: list[_Row]) -> Runs:
    sid, tag = batch.step["id"], batch.step["tag"]
    if batch.step["type"] == "add_tag":
        customer_tags_bulk_add(
            links=[(r.customer_id, tag) for r in rows],
            source="journey",
            now=batch.moment,
        )
        outcome = StepOutcome.TAGGED.value
    else:
        customer_tags_bulk_remove(customer_ids=[r.customer_id for r in rows], name=tag)
        outcome = StepOutcome.UNTAGGED.value
    return [(r.pk, sid, outcome, tag) for r in rows]


def _coupon(batch: Batch, rows: list[_Row]) -> Runs:
    """Issue the step's coupon to the reached: once per enrolment (the issue
    key is the enrolment's entry key and the step, so a retried batch gets
    the codes issued the first time)."""
    sid, slug = batch.step["id"], batch.step["coupon"]
    reach, runs = _held(rows, sid)
    if not reach:
        return runs
    definition = coupon_definition_list().filter(slug=slug).first()
    if definition is None:
        return runs + [
            (r.pk, sid, StepOutcome.FAILED.value, f"no coupon {slug!r}") for r in reach
        ]
    by_key: dict[str, list[_Row]] = defaultdict(list)
    for row in reach:
        by_key[row.entry_key].append(row)
    for key, group in sorted(by_key.items()):
        try:
            issued = coupons_issue(
                definition=definition,
                customer_ids=[r.customer_id for r in group],
                source=journey_source(batch.journey.slug),
                source_key=f"{key}:{sid}",
                now=batch.moment,
            )
        except ValidationFailed as error:
            runs += [
                (r.pk, sid, StepOutcome.FAILED.value, error.message) for r in group
            ]
            continue
        _keep(group, "coupon_code", issued.codes)
        runs += [
            (r.pk, sid, StepOutcome.COUPON.value, slug)
            if r.customer_id in issued.codes
            else (r.pk, sid, StepOutcome.FAILED.value, "at the per-customer limit")
            for r in group
        ]
    return runs


def _recommend(batch: Batch, rows: list[_Row]) -> tuple[Runs, list[int], list[int]]:
    """The best "bought A → often also B" product for each (what they do
    not buy yet), kept as ``product``; (runs, found, none)."""
    sid = batch.step["id"]
    found: dict[int, str] = {}
    sku: dict[int, str] = {}
    for row in rows:
        best = recommend_for(customer_id=row.customer_id, limit=1)
        if best:
            found[row.customer_id] = best[0].name
            sku[row.customer_id] = best[0].sku
    _keep(rows, "product", found)
    yes = [r.pk for r in rows if r.customer_id in found]
    no = [r.pk for r in rows if r.customer_id not in found]
    runs: Runs = [
        (r.pk, sid, StepOutcome.RECOMMENDED.value, sku[r.customer_id])
        for r in rows
        if r.customer_id in found
    ]
    runs += [(pk, sid, StepOutcome.NO_PRODUCT.value, "") for pk in no]
    return runs, yes, no


def _survey(batch: Batch, rows: list[_Row]) -> tuple[Runs, int]:
    sid, kind = batch.step["id"], batch.step["survey"]
    reach, runs = _held(rows, sid)
    if not reach:
        return runs, 0
    survey = survey_list().filter(kind=kind).first()
    if survey is None or not survey.active:
        detail = f"survey {kind!r} is switched off"
        return runs + [(r.pk, sid, StepOutcome.FAILED.value, detail) for r in reach], 0
    try:
        sent = invitations_send(
            survey=survey,
            customer_ids=[r.customer_id for r in reach],
            trigger=Trigger.JOURNEY,
            now=batch.moment,
        )
    except DomainError as error:
        return runs + [
            (r.pk, sid, StepOutcome.FAILED.value, error.message) for r in reach
        ], 0
    runs += [(r.pk, sid, StepOutcome.SURVEY.value, kind) for r in reach]
    return runs, sent.queued


def run_action(batch: Batch) -> tuple[Runs, int, dict[str, list[int]]]:
    """Run an action step for the batch: (step runs, messages queued, the
    enrolments by the step key they go on to: ``next``, or ``none_next`` for
    a recommendation that found nothing)."""
    rows = _rows(batch.ids)
    kind = batch.step["type"]
    queued = 0
    going: dict[str, list[int]] = {"next": [r.pk for r in rows]}
    if kind == "send_message":
        runs, queued = _message(batch, rows)
    elif kind == "create_task":
        runs = _task(batch, rows)
    elif kind == "issue_coupon":
        runs = _coupon(batch, rows)
    elif kind == "recommend":
        runs, yes, no = _recommend(batch, rows)
        going = {"next": yes, "none_next": no}
    elif kind == "send_survey":
        runs, queued = _survey(batch, rows)
    else:
        runs = _tag(batch, rows)
    return runs, queued, going
