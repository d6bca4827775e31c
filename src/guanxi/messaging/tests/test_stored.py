"""Stored templates: checked when saved, each refusal with its exact message
and nothing changed; the language a customer gets."""

from __future__ import annotations

from typing import Any

import pytest

from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.messaging.models import Template
from guanxi.messaging.stored import (
    TemplateFields,
    template_delete,
    template_get,
    template_language,
    template_list,
    template_preview,
    template_save,
)

pytestmark = pytest.mark.django_db


def _fields(**changes: str) -> TemplateFields:
    values = {
        "name": "welcome",
        "channel": "email",
        "purpose": "marketing",
        "subject_zh": "你好 {{ name }}",
        "body_zh": "{{ name }}，欢迎光临 {{ store }}。\n",
        "subject_en": "Hello {{ name }}",
        "body_en": "Dear {{ name }},\nwelcome to {{ store }}.\n",
    }
    values.update(changes)
    return TemplateFields(**values)


def _stored() -> list[tuple[Any, ...]]:
    return list(
        Template.objects.order_by("pk").values_list(
            "name",
            "channel",
            "purpose",
            "subject_zh",
            "body_zh",
            "subject_en",
            "body_en",
        )
    )


def test_a_template_is_saved_with_who_and_when(users: dict[str, Any]) -> None:
    saved = template_save(actor=users["operations"], fields=_fields(name=" welcome "))
    assert _stored() == [
        (
            "welcome",
            "email",
            "marketing",
            "你好 {{ name }}",
            "{{ name }}，欢迎光临 {{ store }}。\n",
            "Hello {{ name }}",
            "Dear {{ name }},\nwelcome to {{ store }}.\n",
        )
    ]
    assert saved.created_by == users["operations"]
    assert saved.updated_by == users["operations"]
    changed = template_save(
        actor=users["admin"], template=saved, fields=_fields(body_en="Hi\r\nthere")
    )
    assert changed.body_en == "Hi\nthere"
    assert changed.created_by == users["operations"]
    assert changed.updated_by == users["admin"]
    assert changed.updated_at >= changed.created_at


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "  "}, "name", "The template needs a name."),
        ({"name": "x" * 101}, "name", "The name is longer than 100 characters."),
        (
            {"channel": "fax"},
            "channel",
            "The channel is email, sms, wecom or webhook, not 'fax'.",
        ),
        (
            {"purpose": "profiling"},
            "purpose",
            "The purpose is service or marketing, not 'profiling'.",
        ),
        (
            {"subject_zh": "", "body_zh": "", "subject_en": "", "body_en": ""},
            "body_zh",
            "Write the body in Chinese, in English or in both.",
        ),
        (
            {"body_en": "  "},
            "body_en",
            "English body: a subject needs a body.",
        ),
        (
            {"subject_zh": ""},
            "subject_zh",
            "Chinese subject: an e-mail needs a subject.",
        ),
        (
            {"body_zh": "第一行\n{{ name }\n"},
            "body_zh",
            "Chinese body: Line 2: unexpected '}'",
        ),
        (
            {"body_en": "Dear {{ name }},\n\n{{ nmae }}\n"},
            "body_en",
            "English body: Line 3: unknown variable 'nmae'",
        ),
        (
            {"subject_en": "Hi {{ price }}"},
            "subject_en",
            "English subject: Line 1: unknown variable 'price'",
        ),
        (
            {"body_zh": "{% for x in name %}\n{{ x.__class__ }}\n{% endfor %}"},
            "body_zh",
            "Chinese body: Line 2: access to attribute '__class__' of 'str' "
            "object is unsafe.",
        ),
        (
            {"subject_en": "x" * 145 + "{{ name }}{{ name }}{{ name }}"},
            "subject_en",
            "English subject: 151 characters with sample values, more than 150.",
        ),
        (
            {"subject_zh": "{{ '' }}" * 51},
            "subject_zh",
            "Chinese subject: longer than 400 characters.",
        ),
        (
            {"body_en": "x" * 100_001},
            "body_en",
            "English body: longer than 100000 characters.",
        ),
    ],
)
def test_a_template_that_does_not_render_is_refused_and_nothing_changes(
    users: dict[str, Any], changes: dict[str, str], field: str, message: str
) -> None:
    kept = template_save(actor=users["admin"], fields=_fields(name="kept"))
    before = _stored()
    with pytest.raises(ValidationFailed) as caught:
        template_save(actor=users["admin"], fields=_fields(**changes))
    assert (caught.value.field, caught.value.message) == (field, message)
    with pytest.raises(ValidationFailed) as caught:
        template_save(
            actor=users["admin"],
            template=kept,
            fields=_fields(**{"name": "kept", **changes}),
        )
    assert caught.value.message == message
    assert _stored() == before


def test_a_subject_is_one_line_and_only_e_mail_has_one(
    users: dict[str, Any],
) -> None:
    # A subject typed with a line break cannot add a header.
    with pytest.raises(ValidationFailed) as caught:
        template_save(
            actor=users["admin"],
            fields=_fields(subject_zh="你好\nBcc: x@example.com"),
        )
    assert caught.value.message == "Chinese subject: a subject is one line."
    with pytest.raises(ValidationFailed) as caught:
        template_save(
            actor=users["admin"],
            fields=_fields(channel="sms", subject_en="", body_en=""),
        )
    assert caught.value.message == "Chinese subject: only an e-mail has a subject."
    assert _stored() == []


def test_an_sms_over_the_parts_allowed_is_refused(
    users: dict[str, Any], settings: Any
) -> None:
    settings.GUANXI_SMS_MAX_SEGMENTS = 2
    settings.GUANXI_SMS_SIGN_NAME = "关系茶行"
    sms = {"channel": "sms", "subject_zh": "", "subject_en": "", "body_en": ""}
    # 【关系茶行】 (6) + 张伟 (2) + 128 = 136 characters: 3 parts of 67.
    with pytest.raises(ValidationFailed) as caught:
        template_save(
            actor=users["admin"],
            fields=_fields(**sms, body_zh="{{ name }}" + "茶" * 128),
        )
    assert caught.value.field == "body_zh"
    assert caught.value.message == (
        "Chinese body: The SMS is 136 characters long with sample values: "
        "3 parts, more than the 2 allowed (GUANXI_SMS_MAX_SEGMENTS)."
    )
    assert _stored() == []
    template_save(
        actor=users["admin"], fields=_fields(**sms, body_zh="{{ name }}" + "茶" * 126)
    )
    assert len(_stored()) == 1


def test_two_templates_cannot_share_a_name(users: dict[str, Any]) -> None:
    template_save(actor=users["admin"], fields=_fields())
    before = _stored()
    with pytest.raises(ValidationFailed) as caught:
        template_save(actor=users["operations"], fields=_fields(body_zh="另一个"))
    assert caught.value.message == "A template of that name already exists."
    assert _stored() == before


@pytest.mark.parametrize("role", ["service", "account_manager", "analyst"])
def test_only_admins_and_operations_write_templates(
    users: dict[str, Any], role: str
) -> None:
    saved = template_save(actor=users["admin"], fields=_fields())
    before = _stored()
    for attempt in (
        lambda: template_save(actor=users[role], fields=_fields(name="mine")),
        lambda: template_save(actor=users[role], template=saved, fields=_fields()),
        lambda: template_delete(actor=users[role], template=saved),
    ):
        with pytest.raises(PermissionDenied) as caught:
            attempt()
        assert caught.value.message == "your role may not change templates"
    assert _stored() == before


def test_who_sees_which_templates(users: dict[str, Any]) -> None:
    marketing = template_save(actor=users["admin"], fields=_fields(name="m"))
    service = template_save(
        actor=users["admin"], fields=_fields(name="s", purpose="service")
    )
    seen = {
        role: [t.name for t in template_list(actor=users[role])]
        for role in ("admin", "operations", "service", "account_manager", "analyst")
    }
    assert seen == {
        "admin": ["m", "s"],
        "operations": ["m", "s"],
        "service": ["s"],
        "account_manager": ["s"],
        "analyst": [],
    }
    assert template_get(actor=users["service"], pk=service.pk) == service
    with pytest.raises(Exception, match="template not found"):
        template_get(actor=users["service"], pk=marketing.pk)


def test_the_customer_gets_chinese_unless_there_is_only_english(
    users: dict[str, Any], make_customer: Any
) -> None:
    customer = make_customer(name="王芳", city="杭州")
    both = template_save(actor=users["admin"], fields=_fields())
    english = template_save(
        actor=users["admin"],
        fields=_fields(name="en", subject_zh="", body_zh=""),
    )
    chinese = template_save(
        actor=users["admin"],
        fields=_fields(name="zh", subject_en="", body_en=""),
    )
    assert template_language(both, customer) == "zh-hans"
    assert template_language(english, customer) == "en"
    assert template_language(chinese, customer) == "zh-hans"
    values = {"name": "王芳", "store": "关系茶行"}
    previews = template_preview(both, values=values, customer=customer)
    assert [(p.language, p.chosen) for p in previews] == [
        ("zh-hans", True),
        ("en", False),
    ]
    assert previews[0].rendered.subject == "你好 王芳"
    assert previews[0].rendered.text == "王芳，欢迎光临 关系茶行。"
    assert previews[1].rendered.text == "Dear 王芳,\nwelcome to 关系茶行."
    only = template_preview(english, values=values, customer=customer)
    assert [(p.language, p.chosen) for p in only] == [("en", True)]


def test_the_sms_preview_counts_the_customer_s_parts(
    users: dict[str, Any], settings: Any
) -> None:
    settings.GUANXI_SMS_SIGN_NAME = ""
    sms = template_save(
        actor=users["admin"],
        fields=_fields(
            channel="sms",
            subject_zh="",
            subject_en="",
            body_zh="{{ name }}" + "茶" * 60,
            body_en="Hi {{ name }}",
        ),
    )
    short, long_ = (
        template_preview(sms, values={"name": "王"})[0],
        template_preview(sms, values={"name": "王" * 20})[0],
    )
    assert (short.sms_units, short.sms_parts) == (61, 1)
    assert (long_.sms_units, long_.sms_parts) == (80, 2)


def test_deleting_a_template(users: dict[str, Any]) -> None:
    saved = template_save(actor=users["admin"], fields=_fields())
    template_delete(actor=users["operations"], template=saved)
    assert _stored() == []
