"""The message templates API: the editor's checks and messages, nothing
stored when refused, and who sees which templates."""

from __future__ import annotations

from typing import Any

import pytest

from guanxi.messaging.models import Template

pytestmark = pytest.mark.django_db

URL = "/api/v1/messages/templates/"
BODY = {
    "name": "shipped",
    "channel": "sms",
    "purpose": "service",
    "body_zh": "{{ name }}，您的订单已发货。",
    "body_en": "{{ name }}, your order is on its way.",
}


def test_create_read_change_and_delete(api: Any, users: dict[str, Any]) -> None:
    client = api("operations")
    made = client.post(URL, BODY, format="json")
    assert made.status_code == 201
    data = made.json()
    assert {k: data[k] for k in (*BODY, "subject_zh", "subject_en", "created_by")} == {
        **BODY,
        "subject_zh": "",
        "subject_en": "",
        "created_by": "operations",
    }
    one = f"{URL}{data['id']}/"
    assert client.get(one).json()["body_en"] == BODY["body_en"]
    changed = api("admin").patch(one, {"body_en": ""}, format="json").json()
    assert (changed["body_zh"], changed["body_en"], changed["updated_by"]) == (
        BODY["body_zh"],
        "",
        "admin",
    )
    replaced = client.put(one, {**BODY, "body_zh": ""}, format="json").json()
    assert (replaced["body_zh"], replaced["body_en"]) == ("", BODY["body_en"])
    assert [t["name"] for t in api("service").get(URL).json()["results"]] == ["shipped"]
    assert client.delete(one).status_code == 204
    assert Template.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        (
            {**BODY, "body_zh": "{{ name }\n"},
            {"body_zh": ["Chinese body: Line 1: unexpected '}'"]},
        ),
        (
            {**BODY, "body_en": "Hi\n{{ price }}"},
            {"body_en": ["English body: Line 2: unknown variable 'price'"]},
        ),
        (
            {**BODY, "subject_zh": "你好"},
            {"subject_zh": ["Chinese subject: only an e-mail has a subject."]},
        ),
        (
            {**BODY, "channel": "fax"},
            {"channel": ["The channel is email, sms, wecom or webhook, not 'fax'."]},
        ),
        (
            {"name": "x", "channel": "sms", "purpose": "service"},
            {"body_zh": ["Write the body in Chinese, in English or in both."]},
        ),
    ],
)
def test_a_template_that_does_not_render_is_refused(
    api: Any, body: dict[str, str], answer: dict[str, list[str]]
) -> None:
    client = api("admin")
    kept = client.post(URL, {**BODY, "name": "kept"}, format="json").json()
    refused = client.post(URL, body, format="json")
    assert (refused.status_code, refused.json()) == (400, answer)
    changed = client.put(f"{URL}{kept['id']}/", body, format="json")
    assert (changed.status_code, changed.json()) == (400, answer)
    assert list(Template.objects.values_list("name", "body_zh")) == [
        ("kept", BODY["body_zh"])
    ]


def test_roles_that_do_not_write_templates_are_refused(api: Any) -> None:
    refused = api("service").post(URL, BODY, format="json")
    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "your role may not change templates"},
    )
    analyst = api("analyst").get(URL)
    assert (analyst.status_code, analyst.json()) == (
        403,
        {"detail": "your role may not use message templates"},
    )
    assert Template.objects.count() == 0
