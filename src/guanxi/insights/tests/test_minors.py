"""Minors without their guardian's consent to profiling are left out of the
scoring run (PIPL art. 31): no snapshot, no stage change, their earlier ones
removed; with the guardian's consent they are scored like everyone; the
profile says why there are no scores."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from tests.outbox import consent_set

from guanxi.commerce.models import Order
from guanxi.customers.models import Customer, CustomerTag
from guanxi.customers.services import customer_apply_contact
from guanxi.insights.models import ScoreSnapshot, StageChange
from guanxi.insights.services import score_run
from guanxi.insights.tests.conftest import AS_OF
from guanxi.privacy.selectors import minors_unprofiled

pytestmark = pytest.mark.usefixtures("fixed_today")

WHY = (
    "No scores: a customer under 14 is not profiled (no scores, segments by "
    "score or churn risk) until their guardian consents to profiling."
)


def _born(customer: Customer, day: dt.date) -> None:
    customer.birthday = day
    customer_apply_contact(customer)
    customer.save()


def _consent(customer: Customer, *, source: str, granted: bool = True) -> None:
    consent_set(customer, purpose="profiling", granted=granted, source=source)


def _buyers(n: int) -> list[Customer]:
    ids = (
        Order.objects.filter(status="paid")
        .order_by("customer_id")
        .values_list("customer_id", flat=True)
        .distinct()[:n]
    )
    return list(Customer.objects.filter(pk__in=list(ids)).order_by("pk"))


def test_a_run_leaves_out_minors_without_guardian_consent(
    demo_data: dict[str, Any],
) -> None:
    earlier = AS_OF - dt.timedelta(days=28)
    score_run(as_of=earlier, queue_followups=False)
    child, consented, own_word = _buyers(3)
    assert ScoreSnapshot.objects.filter(customer=child).count() == 1
    for customer in (child, consented, own_word):
        _born(customer, dt.date(2016, 5, 1))
    _consent(consented, source="guardian")
    _consent(own_word, source="staff")  # the child's own consent is not enough
    score_run(as_of=AS_OF, queue_followups=False)
    scored = set(
        ScoreSnapshot.objects.filter(as_of=AS_OF).values_list("customer_id", flat=True)
    )
    assert len(scored) == Customer.objects.count() - 2
    assert child.pk not in scored and own_word.pk not in scored
    assert consented.pk in scored
    # Their earlier scores and stage changes are gone too.
    assert not ScoreSnapshot.objects.filter(customer__in=[child, own_word]).exists()
    assert not StageChange.objects.filter(customer__in=[child, own_word]).exists()
    assert ScoreSnapshot.objects.filter(customer=consented).count() == 2
    # No automatic tags either (the run's tags are profiling too): the ones
    # the earlier run gave are gone; the guardian's consent keeps them.
    automatic = CustomerTag.objects.filter(source="automatic")
    assert not automatic.filter(customer__in=[child, own_word]).exists()
    assert automatic.filter(customer=consented).exists()

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(demo_data["users"]["admin"])
    with translation.override("en"):
        page = client.get(f"/customers/{child.pk}/").content.decode()
        other = client.get(f"/customers/{consented.pk}/").content.decode()
    assert WHY in page and 'id="score-badges"' not in page
    assert WHY not in other and 'id="score-badges"' in other


def test_a_withdrawn_guardian_consent_counts_from_the_next_run(
    demo_data: dict[str, Any],
) -> None:
    (child,) = _buyers(1)
    _born(child, dt.date(2016, 5, 1))
    _consent(child, source="guardian")
    score_run(as_of=AS_OF - dt.timedelta(days=7))
    assert ScoreSnapshot.objects.filter(customer=child).count() == 1
    _consent(child, source="guardian", granted=False)
    score_run(as_of=AS_OF, queue_followups=False)
    assert not ScoreSnapshot.objects.filter(customer=child).exists()


@pytest.mark.django_db
def test_the_age_limit_is_decided_to_the_day(make_customer: Any) -> None:
    """Born in the month the limit falls in: the birthday (decrypted) decides."""
    today = dt.date(2026, 11, 15)
    younger = make_customer(birthday=dt.date(2012, 11, 16))
    fourteen = make_customer(birthday=dt.date(2012, 11, 15))
    young = make_customer(birthday=dt.date(2013, 1, 1))
    make_customer(birthday=dt.date(1990, 11, 20))
    make_customer()  # no birthday: not known to be a minor
    assert minors_unprofiled(today=today) == {younger.pk, young.pk}
    assert fourteen.pk not in minors_unprofiled(today=today)
