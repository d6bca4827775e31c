"""The issue_coupon step: checked against the coupon definitions, issued
once per enrolment, none for the holdout, and the code in the next
message's ``coupon_code`` (as delivered by the real SMTP server)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from guanxi.core.errors import ValidationFailed
from guanxi.coupons.models import CouponDefinition, IssuedCoupon
from guanxi.journeys.actions import Batch, run_action
from guanxi.journeys.engine import definition_load
from guanxi.journeys.models import Enrolment, Journey, StepRun
from guanxi.journeys.services import journeys_run
from guanxi.journeys.tests.world import START, at, not_held, reachable, sent
from guanxi.messaging.delivery import messages_dispatch
from guanxi.messaging.services import template_save
from guanxi.messaging.stored import TemplateFields

pytestmark = pytest.mark.django_db


@pytest.fixture
def gift(db: Any) -> CouponDefinition:
    return CouponDefinition.objects.create(
        slug="gift",
        name_zh="礼券",
        name_en="Gift",
        value=Decimal(20),
        valid_days=30,
        per_customer_limit=5,
    )


@pytest.fixture
def coupon_mail(users: dict[str, Any], smtp: Any) -> Any:
    return template_save(
        actor=users["admin"],
        fields=TemplateFields(
            name="gift-mail",
            channel="email",
            purpose="service",
            subject_zh="礼券",
            body_zh="您的礼券：{{ coupon_code }}",
        ),
    )


def _definition(coupon: str = "gift") -> dict[str, Any]:
    return {
        "trigger": {"type": "event", "event": "customer_created"},
        "steps": [
            {"id": "give", "type": "issue_coupon", "coupon": coupon, "next": "tell"},
            {"id": "tell", "type": "send_message", "template": "gift-mail"},
        ],
    }


def test_an_unknown_or_expired_coupon_is_refused(
    gift: CouponDefinition, coupon_mail: Any, make_journey: Any
) -> None:
    with pytest.raises(ValidationFailed) as error:
        make_journey(_definition("nope"))
    assert error.value.message == 'Step "give": no coupon is named "nope".'
    CouponDefinition.objects.filter(pk=gift.pk).update(
        valid_days=None, expires_on=dt.date(2020, 1, 31)
    )
    with pytest.raises(ValidationFailed) as error:
        make_journey(_definition())
    assert error.value.message == 'Step "give": the coupon "gift" has expired.'
    assert not Journey.objects.exists()


def test_the_code_goes_out_in_the_next_message_and_not_to_the_holdout(
    gift: CouponDefinition,
    coupon_mail: Any,
    make_journey: Any,
    make_customer: Any,
    smtp: Any,
) -> None:
    with time_machine.travel(at(START, 9), tick=False):
        make_journey(_definition(), holdout_percent=50)
        customers = reachable(make_customer, 10, "c")
    with time_machine.travel(at(START, 10), tick=False):
        journeys_run()
        messages_dispatch()
    reached = not_held("test", customers)
    assert 0 < len(reached) < 10
    codes = dict(IssuedCoupon.objects.values_list("customer_id", "code"))
    assert set(codes) == reached
    assert sent("test", "tell") == {pk: {"coupon_code": codes[pk]} for pk in reached}
    outcomes = dict(
        StepRun.objects.filter(step="give").values_list(
            "enrolment__customer_id", "outcome"
        )
    )
    assert outcomes == {
        c.pk: "coupon" if c.pk in reached else "held_out" for c in customers
    }
    assert {
        pk: IssuedCoupon.objects.get(customer_id=pk).source for pk in reached
    } == dict.fromkeys(reached, "journey:test")
    bodies = sorted(m.get_body(("plain",)).get_content().strip() for m in smtp.received)
    assert bodies == sorted(f"您的礼券：{codes[pk]}" for pk in reached)


def test_a_step_run_again_for_the_same_enrolments_issues_nothing_new(
    gift: CouponDefinition, coupon_mail: Any, make_journey: Any, make_customer: Any
) -> None:
    journey = make_journey(_definition(), holdout_percent=0)
    customers = [make_customer() for _ in range(3)]
    journeys_run()
    first = dict(IssuedCoupon.objects.values_list("customer_id", "code"))
    assert set(first) == {c.pk for c in customers}
    version = journey.current_version
    definition = definition_load(version)
    ids = list(Enrolment.objects.values_list("pk", flat=True))
    runs, _queued, _going = run_action(
        Batch(journey, version.pk, definition, definition.steps["give"], ids, at(START))
    )
    assert {outcome for _e, _s, outcome, _d in runs} == {"coupon"}
    assert dict(IssuedCoupon.objects.values_list("customer_id", "code")) == first
    assert {
        e.customer_id: e.values["coupon_code"] for e in Enrolment.objects.all()
    } == first


def test_a_coupon_switched_off_while_the_journey_runs_is_a_failed_step(
    gift: CouponDefinition, coupon_mail: Any, make_journey: Any, make_customer: Any
) -> None:
    make_journey(_definition(), holdout_percent=0)
    CouponDefinition.objects.filter(pk=gift.pk).update(active=False)
    customer = make_customer(email="off@example.com")
    journeys_run()
    assert list(
        StepRun.objects.filter(step="give").values_list("outcome", "detail")
    ) == [("failed", "this coupon is switched off")]
    assert sent("test", "tell") == {customer.pk: {}}  # the message goes, no code
    assert not IssuedCoupon.objects.exists()
