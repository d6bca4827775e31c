"""REST API v1 for interactions, the ``api_token`` command, and form posts
answered like JSON."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from rest_framework.test import APIClient

from guanxi.access.choices import Role
from guanxi.access.models import ApiToken
from guanxi.customers.models import Customer, Interaction
from guanxi.customers.tests.api.conftest import INTERACTIONS, LIST


def _interaction(target: Customer, /, **extra: Any) -> dict[str, Any]:
    payload = {
        "customer": target.pk,
        "kind": "call",
        "occurred_at": "2026-10-02 10:00",
        "channel": "phone",
        "note": "问了新茶",
    }
    return {**payload, **extra}


def test_interaction_create_and_idempotency(api: Any, world: Any) -> None:
    client = api("service")
    payload = _interaction(world["own"], source="crm", external_id="c-1")
    first = client.post(INTERACTIONS, payload, format="json")
    assert first.status_code == 201
    body = first.json()
    stored = Interaction.objects.get(pk=body["id"])
    assert body == {
        "id": stored.pk,
        "customer": str(world["own"].pk),
        "kind": "call",
        "occurred_at": "2026-10-02T10:00:00+08:00",
        "channel": "phone",
        "note": "问了新茶",
        "source": "crm",
        "external_id": "c-1",
    }
    again = client.post(INTERACTIONS, {**payload, "note": "changed"}, format="json")
    assert again.status_code == 200
    assert again.json() == body
    assert Interaction.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "change", "status", "error"),
    [
        ("admin", {"kind": "dance"}, 400, None),
        (
            "admin",
            {"occurred_at": "2026-02-30"},
            400,
            {"occurred_at": ["impossible date"]},
        ),
        ("admin", {"occurred_at": "yesterday"}, 400, None),
        ("admin", {"customer": 999999}, 400, {"customer": ["unknown customer"]}),
        ("admin", {"customer": "x"}, 400, {"customer": ["unknown customer"]}),
        (
            "account_manager",
            {"customer": "foreign"},
            400,
            {"customer": ["unknown customer"]},
        ),
        ("analyst", {}, 403, {"detail": "your role may not record interactions"}),
    ],
)
def test_interaction_bad_input_writes_nothing(
    api: Any,
    world: Any,
    role: str,
    change: dict[str, Any],
    status: int,
    error: dict[str, Any] | None,
) -> None:
    payload = _interaction(world["own"], **change)
    if change.get("customer") == "foreign":
        payload["customer"] = world["foreign"].pk
    response = api(role).post(INTERACTIONS, payload, format="json")
    assert response.status_code == status
    if error is None and "kind" in change:
        error = {
            "kind": [
                "not a valid kind (expected one of: visit, login, message_opened, "
                "message_clicked, community_post, call, event_attended, review, "
                "complaint, chat, note)"
            ]
        }
    if error is None:
        error = {
            "occurred_at": [
                "not a date (expected e.g. 2024-01-05, 2024/1/5 or 2024年1月5日)"
            ]
        }
    assert response.json() == error
    assert Interaction.objects.count() == 0


def test_analyst_sees_interactions_customer_by_pseudonym(api: Any, world: Any) -> None:
    # Analysts may not write; check the presenter path through an admin write.
    response = api("admin").post(
        INTERACTIONS, _interaction(world["own"]), format="json"
    )
    assert response.json()["customer"] == str(world["own"].pk)


# --- tokens ---------------------------------------------------------


def test_api_token_command(users: dict[str, Any]) -> None:
    out = io.StringIO()
    call_command("api_token", "operations", stdout=out)
    key = out.getvalue().strip()
    assert ApiToken.objects.get(user=users["operations"]).prefix == key[:10]
    # Shown once: the key is not kept, so it cannot be printed again.
    with (
        translation.override("en"),
        pytest.raises(
            CommandError,
            match=r"^user operations already has a token, which cannot be shown "
            r"again: --rotate replaces it$",
        ),
    ):
        call_command("api_token", "operations")
    rotated = io.StringIO()
    call_command("api_token", "operations", "--rotate", stdout=rotated)
    assert rotated.getvalue().strip() not in ("", key)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {rotated.getvalue().strip()}")
    assert client.get(LIST).status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(LIST).status_code == 401


def test_api_token_command_errors(users: dict[str, Any], make_user: Any) -> None:
    with (
        translation.override("en"),
        pytest.raises(CommandError, match=r"^no user named ghost$"),
    ):
        call_command("api_token", "ghost")
    users["admin"].__class__.objects.create_user("drifter")
    with (
        translation.override("en"),
        pytest.raises(
            CommandError, match=r"^user drifter has no role; give them a role first$"
        ),
    ):
        call_command("api_token", "drifter")
    gone = make_user(Role.SERVICE, username="gone")
    gone.is_active = False
    gone.save()
    with (
        translation.override("en"),
        pytest.raises(CommandError, match=r"^user gone is inactive$"),
    ):
        call_command("api_token", "gone")
    assert ApiToken.objects.count() == 0


def test_form_posts_work_like_json(api: Any, db: Any) -> None:
    # The browsable API posts forms; the same rules apply.
    response = api("admin").post(LIST, {"name": "表单", "phone": "13600136000"})
    assert response.status_code == 201
    assert json.loads(response.content)["phone"] == "+8613600136000"
