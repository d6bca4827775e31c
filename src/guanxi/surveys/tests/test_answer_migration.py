"""The migration that encrypts answers' free texts encrypts those already
stored (empty ones become NULL), and rolled back gives them back in clear."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from guanxi.customers.models import Customer
from guanxi.surveys.models import Answer

BEFORE = ("surveys", "0002_defaults")
AFTER = ("surveys", "0003_tickets2")
TEXTS = ("价格太贵，金丝雀店员态度差", "", "金丝雀痛点", "金丝雀兴趣")


def _raw() -> dict[int, tuple[str | None, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, text, scenario, pain_points, interests "
            "FROM surveys_answer ORDER BY id"
        )
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_answers_are_encrypted_and_decrypted_again_when_rolled_back() -> None:
    call_command("migrate", *BEFORE, verbosity=0)
    try:
        old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        # The customers app stays migrated: its current model fits the table.
        customer = Customer.objects.create()
        survey = old.get_model("surveys", "Survey").objects.get_or_create(kind="needs")[
            0
        ]
        when = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
        invitation = old.get_model("surveys", "Invitation").objects.create(
            survey=survey,
            customer_id=customer.pk,
            trigger="manual",
            nonce="n",
            expires_at=when,
        )
        answer = old.get_model("surveys", "Answer").objects.create(
            invitation=invitation,
            survey=survey,
            customer_id=customer.pk,
            kind="needs",
            text=TEXTS[0],
            scenario=TEXTS[1],
            pain_points=TEXTS[2],
            interests=TEXTS[3],
            answered_at=when,
        )

        call_command("migrate", *AFTER, verbosity=0)
        text, scenario, pains, interests = _raw()[answer.pk]
        for sealed, plain in (
            (text, TEXTS[0]),
            (pains, TEXTS[2]),
            (interests, TEXTS[3]),
        ):
            assert str(sealed).startswith("v1:") and plain not in str(sealed)
        assert scenario is None
        stored = Answer.objects.get(pk=answer.pk)
        assert (
            stored.text,
            stored.scenario,
            stored.pain_points,
            stored.interests,
        ) == TEXTS

        call_command("migrate", *BEFORE, verbosity=0)
        assert _raw() == {answer.pk: TEXTS}
    finally:
        call_command("migrate", verbosity=0)
