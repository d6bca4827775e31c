"""The shipped playbooks: off, valid, with templates that pass the stored
templates' checks, and sending what the seed says on the day it says."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from guanxi.commerce.services import OrderInput, order_create
from guanxi.journeys.definition import definition_check
from guanxi.journeys.engine import run_moment
from guanxi.journeys.holdout import holdout_basis_points, holdout_key
from guanxi.journeys.models import Enrolment, Journey
from guanxi.journeys.services import (
    journey_playbooks_ensure,
    journey_set_state,
    journeys_run,
)
from guanxi.messaging.models import Message, Template
from guanxi.messaging.stored import TemplateFields, template_check

pytestmark = pytest.mark.django_db


def test_the_playbooks_are_shipped_off_with_their_templates(
    users: dict[str, Any],
) -> None:
    assert journey_playbooks_ensure(actor=users["admin"]) == [
        "welcome",
        "first-purchase-checkin",
    ]
    assert journey_playbooks_ensure(actor=users["admin"]) == []
    journeys = {j.slug: j for j in Journey.objects.select_related("current_version")}
    assert sorted(journeys) == ["first-purchase-checkin", "welcome"]
    for journey in journeys.values():
        assert (journey.state, journey.holdout_percent) == ("off", 10)
        assert journey.current_version is not None
        definition_check(
            journey.current_version.definition,
            template_exists=lambda name: Template.objects.filter(name=name).exists(),
        )
    for template in Template.objects.filter(name__startswith="journey-"):
        template_check(
            TemplateFields(
                name=template.name,
                channel=template.channel,
                purpose=template.purpose,
                subject_zh=template.subject_zh,
                body_zh=template.body_zh,
                subject_en=template.subject_en,
                body_en=template.body_en,
            )
        )
    checkin = Template.objects.get(name="journey-first-purchase-checkin")
    assert "看到您昨天购买了我们的产品，想了解一下使用过程中有什么需要帮助的吗？" in (
        checkin.body_zh
    )


def test_the_check_in_goes_out_the_day_after_the_first_purchase(
    users: dict[str, Any], make_customer: Any, smtp: Any
) -> None:
    journey_playbooks_ensure(actor=users["admin"])
    journey_set_state(actor=users["admin"], slug="first-purchase-checkin", on=True)
    today = timezone.localdate()
    Journey.objects.filter(slug="first-purchase-checkin").update(
        enabled_at=run_moment(today - dt.timedelta(days=1))
    )
    customers = [make_customer(email=f"p{i}@example.com") for i in range(30)]
    for customer in customers:
        order_create(
            actor=users["admin"],
            order=OrderInput(
                external_id=f"first-{customer.pk}",
                customer_id=customer.pk,
                ordered_at=timezone.now(),
                amount=Decimal("88.00"),
            ),
        )
    assert journeys_run(as_of=today).queued == 0
    key = holdout_key(Journey.objects.get(slug="first-purchase-checkin").pk)
    reached = {c.pk for c in customers if holdout_basis_points(key, c.pk) >= 1000}
    assert journeys_run(as_of=today + dt.timedelta(days=1)).queued == len(reached)
    assert set(Message.objects.values_list("customer_id", flat=True)) == reached
    assert Message.objects.filter(purpose="service").count() == len(reached)
    assert Enrolment.objects.filter(holdout=True).count() == 30 - len(reached)
