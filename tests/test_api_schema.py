"""The REST API against its own OpenAPI schema, with generated requests (schemathesis).

Every operation gets generated requests sent as each role (admin, operations,
service, account manager, analyst) through Django's WSGI stack; the responses
must never be server errors and must match the schema (status codes, content
types, bodies). Requests are generated both inside the schema and outside it
(negative data: a string where a date is declared, an empty required value…),
and the API must refuse the latter. The API may still refuse data the schema
allows (a string that is not a phone number is a 400), so "positive data
acceptance" is not checked. Bounded: a fixed number of examples per operation
and role, derandomised.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

import pytest
import schemathesis
from django.core.serializers.json import DjangoJSONEncoder
from django.test.client import ClientHandler
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

_EXAMPLES = 25


_handler: list[ClientHandler] = []


def _wsgi_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """Django's test handler as a WSGI app: it keeps the test's transaction open
    (a plain WSGI handler would close the connection after each request). One
    handler for all requests: building the middleware (WhiteNoise scans the
    static files) for each would cost more than the request."""
    if not _handler:
        _handler.append(ClientHandler(enforce_csrf_checks=False))
    response = _handler[0](environ)
    headers = list(response.items())
    headers += [("Set-Cookie", c.OutputString()) for c in response.cookies.values()]
    start_response(f"{response.status_code} {response.reason_phrase}", headers)
    return [response.content]  # type: ignore[attr-defined]


def _load() -> Any:
    # The generator needs no request and no database, so the schema loads at
    # collection time; it is exactly what /api/v1/schema/ serves.
    raw = SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    loaded = schemathesis.openapi.from_dict(
        json.loads(json.dumps(raw, cls=DjangoJSONEncoder))
    )
    loaded.app = _wsgi_app
    loaded.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=_EXAMPLES,
        deterministic=True,
    )
    # The coverage phase sends hundreds of boundary cases per operation and
    # ignores max_examples; the fuzzing phase keeps to the budget.
    loaded.config.phases.coverage.enabled = False
    return loaded


schema = _load()


ROLES = ["admin", "operations", "service", "account_manager", "analyst"]


@pytest.fixture(params=ROLES)
def token(request: Any, db: Any) -> str:
    from django.contrib.auth import get_user_model

    from guanxi.access.choices import Role
    from guanxi.access.services import staff_role_set
    from guanxi.access.tests.factories import api_token_for
    from guanxi.customers.models import Customer
    from guanxi.customers.services import customer_apply_contact

    role = Role(request.param)
    user = get_user_model().objects.create_user(f"schema-{role}", password=None)
    staff_role_set(user=user, role=role)
    # A customer for the detail, update and order operations to find (the
    # account manager's own).
    customer = Customer(
        name="王芳", phone="+8613800138000", city="杭州", assigned_manager=user
    )
    customer_apply_contact(customer)
    customer.save()
    # Scores for the scores operations to show.
    from guanxi.insights.models import ScoreRun, ScoreSnapshot

    run = ScoreRun.objects.create(
        as_of="2026-11-30", status="done", customers=1, summary={"customers": 1}
    )
    ScoreSnapshot.objects.create(
        customer=customer,
        as_of=run.as_of,
        orders=3,
        total_spend=420.5,
        quadrant="star",
        stage="at_risk",
        emotion="drifting",
        emotion_reasons=[{"signal": "complaint", "count": 2, "points": -8.0}],
        p_alive=0.31,
        churn_risk=0.72,
        churn_reasons=[
            {"feature": "days_since_last_purchase", "value": 45, "effect": 0.1}
        ],
    )
    from guanxi.messaging.models import Broadcast, Message, MessageEvent

    broadcast = Broadcast.objects.create(
        channel="sms", purpose="service", body="{{ name }}", audience="all"
    )
    message = Message.objects.create(
        cause=f"broadcast:{broadcast.pk}",
        broadcast=broadcast,
        customer=customer,
        channel="sms",
        purpose="service",
        idempotency_key=f"schema-{role}",
        status="sent",
        sent_at=dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC),
    )
    MessageEvent.objects.create(
        message=message,
        kind="delivered",
        code="DELIVRD",
        occurred_at=message.created_at,
    )
    return api_token_for(user)


@schema.parametrize()  # type: ignore[untyped-decorator]
@settings(
    max_examples=_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_matches_its_schema(case: Any, token: str) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Token {token}", "Accept-Language": "en"},
        excluded_checks=[positive_data_acceptance],
    )
