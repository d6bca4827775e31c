"""The migration that encrypts interaction notes encrypts the notes already
stored (empty ones become NULL), and rolled back gives them back in clear."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from guanxi.customers.models import Interaction

BEFORE = ("customers", "0012_lang")
AFTER = ("customers", "0013_keys")
NOTE = "她说下周再来，住在金丝雀路"


def _raw_notes() -> dict[int, str | None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, note FROM customers_interaction ORDER BY id")
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_notes_are_encrypted_and_decrypted_again_when_rolled_back() -> None:
    call_command("migrate", *BEFORE, verbosity=0)
    try:
        old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        customer = old.get_model("customers", "Customer").objects.create()
        OldInteraction = old.get_model("customers", "Interaction")
        when = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
        said = OldInteraction.objects.create(
            customer=customer, kind="complaint", occurred_at=when, note=NOTE
        )
        quiet = OldInteraction.objects.create(
            customer=customer, kind="visit", occurred_at=when, note=""
        )

        call_command("migrate", *AFTER, verbosity=0)
        raw = _raw_notes()
        sealed = str(raw[said.pk])
        assert sealed.startswith("v1:") and NOTE not in sealed
        assert raw[quiet.pk] is None
        assert Interaction.objects.get(pk=said.pk).note == NOTE
        assert Interaction.objects.get(pk=quiet.pk).note == ""

        call_command("migrate", *BEFORE, verbosity=0)
        assert _raw_notes() == {said.pk: NOTE, quiet.pk: ""}
    finally:
        call_command("migrate", verbosity=0)
