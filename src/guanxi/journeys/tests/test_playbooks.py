"""The shipped playbooks: off, valid, with templates that pass the stored
templates' checks, and — with the clock frozen — sending what the seed says
on the day it says to the customers it says, and nothing to the holdout."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from guanxi.care.models import CareTask
from guanxi.commerce.services import OrderInput, order_create
from guanxi.core.errors import ValidationFailed
from guanxi.coupons.models import CouponDefinition, IssuedCoupon
from guanxi.coupons.pairs import product_pairs_compute
from guanxi.journeys.definition import definition_check
from guanxi.journeys.engine import run_moment
from guanxi.journeys.holdout import holdout_basis_points, holdout_key
from guanxi.journeys.models import Enrolment, Journey
from guanxi.journeys.services import (
    journey_playbooks_ensure,
    journey_set_state,
    journeys_run,
)
from guanxi.journeys.tests.world import (
    START,
    at,
    buy,
    not_held,
    reachable,
    scoring,
    sent,
    stage_changes,
)
from guanxi.messaging.models import Message, Template
from guanxi.messaging.stored import TemplateFields, template_check
from guanxi.segments.models import Segment

pytestmark = pytest.mark.django_db

SLUGS = [
    "welcome",
    "first-purchase-checkin",
    "onboarding-camp",
    "birthday",
    "repurchase-reminder",
    "recommendation",
    "vip-care",
    "win-back",
]


def switch_on(users: dict[str, Any], slug: str, *, holdout: int = 50) -> Journey:
    """Switch a shipped playbook on (its coupons first), with a holdout big
    enough that both groups exist in a small test."""
    journey = Journey.objects.get(slug=slug)
    assert journey.current_version is not None
    coupons = [
        s["coupon"]
        for s in journey.current_version.definition["steps"]
        if s["type"] == "issue_coupon"
    ]
    CouponDefinition.objects.filter(slug__in=coupons).update(active=True)
    Journey.objects.filter(slug=slug).update(holdout_percent=holdout)
    return journey_set_state(actor=users["admin"], slug=slug, on=True)


def test_the_playbooks_are_shipped_off_with_their_templates_and_coupons(
    users: dict[str, Any],
) -> None:
    assert journey_playbooks_ensure(actor=users["admin"]) == SLUGS
    assert journey_playbooks_ensure(actor=users["admin"]) == []
    journeys = {j.slug: j for j in Journey.objects.select_related("current_version")}
    assert sorted(journeys) == sorted(SLUGS)
    for journey in journeys.values():
        assert (journey.state, journey.holdout_percent) == ("off", 10)
        assert journey.current_version is not None
        definition_check(
            journey.current_version.definition,
            template_exists=lambda name: Template.objects.filter(name=name).exists(),
        )
    assert len(Template.objects.filter(name__startswith="journey-")) == 13
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
    assert sorted(CouponDefinition.objects.values_list("slug", "active")) == [
        ("journey-birthday", False),
        ("journey-onboarding-offer", False),
        ("journey-vip-monthly", False),
        ("journey-win-back-price", False),
        ("journey-win-back-return", False),
    ]
    vip = journeys["vip-care"].current_version
    assert vip is not None
    assert vip.definition["trigger"] == {
        "type": "schedule",
        "segment": Segment.objects.get(name="明星客户 Star").pk,
        "every": "month",
    }


def test_a_playbook_is_not_switched_on_while_its_coupon_is_off(
    users: dict[str, Any],
) -> None:
    journey_playbooks_ensure(actor=users["admin"])
    with pytest.raises(ValidationFailed) as error:
        journey_set_state(actor=users["admin"], slug="birthday", on=True)
    assert error.value.message == (
        'Step "gift": the coupon "journey-birthday" is switched off or has '
        "expired: switch it on first."
    )
    assert Journey.objects.get(slug="birthday").state == "off"
    CouponDefinition.objects.filter(slug="journey-birthday").update(active=True)
    assert journey_set_state(actor=users["admin"], slug="birthday", on=True).state == (
        "on"
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


def test_birthday_greeting_with_a_coupon_in_the_birthday_month(
    users: dict[str, Any], make_customer: Any, smtp: Any
) -> None:
    march = reachable(make_customer, 12, "b", birthday=dt.date(1990, 3, 20))
    april = reachable(make_customer, 3, "a", birthday=dt.date(1990, 4, 2))
    journey_playbooks_ensure(actor=users["admin"])
    with time_machine.travel(at(START), tick=False) as clock:
        switch_on(users, "birthday")
        first = journeys_run()
        reached = not_held("birthday", march)
        assert 0 < len(reached) < 12
        assert (first.enrolled, first.queued) == (12, len(reached))
        greeted = sent("birthday", "greet")
        assert set(greeted) == reached
        codes = dict(IssuedCoupon.objects.values_list("customer_id", "code"))
        assert set(codes) == reached  # no coupon for the holdout
        assert greeted == {pk: {"coupon_code": codes[pk]} for pk in reached}
        assert set(IssuedCoupon.objects.values_list("definition__slug", "source")) == {
            ("journey-birthday", "journey:birthday")
        }
        clock.move_to(at(START + dt.timedelta(days=1)))
        again = journeys_run()
        assert (again.enrolled, again.queued) == (0, 0)  # once a year
    assert not {c.pk for c in april} & set(
        Enrolment.objects.values_list("customer_id", flat=True)
    )
    body = Message.objects.filter(customer_id=min(reached)).get().broadcast
    assert body is not None and "祝您生日快乐" in body.body


def test_repurchase_reminder_at_30_days_or_at_the_expected_next_purchase(
    users: dict[str, Any], make_customer: Any, smtp: Any
) -> None:
    plain = reachable(make_customer, 8, "p")  # no rhythm: 30 days after
    rhythm = reachable(make_customer, 8, "r")  # due by their own rhythm today
    early = reachable(make_customer, 2, "e")  # 30 days ago, but due later
    pairs = reachable(make_customer, 3, "x")  # bought tea and cup
    for c in pairs:
        buy(users, c, at(START - dt.timedelta(days=90)), skus=("tea", "cup"))
    for c in plain + early:
        buy(users, c, at(START - dt.timedelta(days=30)), skus=("tea",))
    for c in rhythm:
        buy(users, c, at(START - dt.timedelta(days=12)))
    product_pairs_compute()
    scored_on = START - dt.timedelta(days=2)
    scoring(
        scored_on,
        {
            **{
                c.pk: {"mean_gap_days": 12.0, "days_since_last_purchase": 10}
                for c in rhythm
            },
            **{
                c.pk: {"mean_gap_days": 45.0, "days_since_last_purchase": 28}
                for c in early
            },
        },
    )
    journey_playbooks_ensure(actor=users["admin"])
    with time_machine.travel(at(START), tick=False):
        switch_on(users, "repurchase-reminder")
        counts = journeys_run()
    entered = set(Enrolment.objects.values_list("customer_id", flat=True))
    assert entered == {c.pk for c in plain + rhythm}
    reached = not_held("repurchase-reminder", plain + rhythm)
    assert counts.queued == len(reached)
    reminded = sent("repurchase-reminder", "remind")
    assert set(reminded) == reached
    # Those who bought tea are reminded of the cup others buy with it.
    assert {pk: v for pk, v in reminded.items() if v} == {
        c.pk: {"product": "cup"} for c in plain if c.pk in reached
    }


def test_recommendation_and_upgrade_nudge_for_growing_customers(
    users: dict[str, Any], make_customer: Any, smtp: Any
) -> None:
    pairs = reachable(make_customer, 3, "x")
    potential = reachable(make_customer, 8, "p")
    basic = reachable(make_customer, 4, "b")
    for c in pairs:
        buy(users, c, at(START - dt.timedelta(days=90)), skus=("tea", "cup"))
    for c in potential + basic:
        buy(users, c, at(START - dt.timedelta(days=20)), skus=("tea",))
    product_pairs_compute()
    scoring(
        START,
        {
            **{c.pk: {"quadrant": "potential", "stage": "growing"} for c in potential},
            **{c.pk: {"quadrant": "basic", "stage": "growing"} for c in basic},
        },
    )
    stage_changes(START, [c.pk for c in potential + basic], "growing")
    journey_playbooks_ensure(actor=users["admin"])
    with time_machine.travel(at(START, 8), tick=False):
        switch_on(users, "recommendation")
    with time_machine.travel(at(START), tick=False):
        journeys_run()
    reached = not_held("recommendation", potential + basic)
    assert sent("recommendation", "suggest") == {
        pk: {"product": "cup"} for pk in reached
    }
    assert set(sent("recommendation", "nudge")) == reached & {c.pk for c in potential}
    assert reached & {c.pk for c in potential}  # the nudge reached someone


def test_vip_care_every_month_for_star_customers(
    users: dict[str, Any], make_customer: Any, smtp: Any
) -> None:
    stars = reachable(make_customer, 10, "s")
    others = reachable(make_customer, 3, "o")
    scoring(
        START - dt.timedelta(days=1),
        {
            **{c.pk: {"quadrant": "star"} for c in stars},
            **{c.pk: {"quadrant": "cash_cow"} for c in others},
        },
    )
    journey_playbooks_ensure(actor=users["admin"])
    with time_machine.travel(at(START), tick=False) as clock:
        switch_on(users, "vip-care")
        journeys_run()
        reached = not_held("vip-care", stars)
        assert 0 < len(reached) < 10
        codes = dict(IssuedCoupon.objects.values_list("customer_id", "code"))
        assert sent("vip-care", "care") == {
            pk: {"coupon_code": codes[pk]} for pk in reached
        }
        assert set(CareTask.objects.values_list("customer_id", flat=True)) == reached
        clock.move_to(at(START + dt.timedelta(days=7)))
        assert journeys_run().enrolled == 0  # once a month
        clock.move_to(at(dt.date(2027, 4, 1)))
        april = journeys_run()
    assert april.enrolled == 10
    assert IssuedCoupon.objects.count() == 2 * len(reached)
    assert CareTask.objects.count() == 2 * len(reached)
    assert not {c.pk for c in others} & set(
        Message.objects.values_list("customer_id", flat=True)
    )
