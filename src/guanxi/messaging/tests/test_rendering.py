"""Templates: sandboxed, checked with their line, one-line subjects."""

from __future__ import annotations

import pytest

from guanxi.core.errors import ValidationFailed
from guanxi.messaging.rendering import render, template_parse


def test_a_template_file_is_subject_blank_line_body() -> None:
    template = template_parse(
        "Subject: 你好 {{ name }}\n\n亲爱的 {{ name }}：\n\n{{ manager }} 向您问好。\n",
        needs_subject=True,
    )
    assert template.subject == "你好 {{ name }}"
    assert template.body == "亲爱的 {{ name }}：\n\n{{ manager }} 向您问好。\n"
    out = render(
        subject=template.subject,
        body=template.body,
        values={"name": "王<b>芳</b>", "manager": "李娜"},
    )
    assert out.subject == "你好 王<b>芳</b>"
    assert out.text == "亲爱的 王<b>芳</b>：\n\n李娜 向您问好。"
    assert (
        "<p>亲爱的 王&lt;b&gt;芳&lt;/b&gt;：</p>\n\n<p>李娜 向您问好。</p>" in out.html
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Subject: Hi\n\nDear {{ name }\n", "Line 3: unexpected '}'"),
        ("Subject: Hi\n\nline one\n{{ nmae }}\n", "Line 4: unknown variable 'nmae'"),
        ("Subject: Hi {{ price }}\n\nbody\n", "Line 1: unknown variable 'price'"),
        (
            "Subject: Hi\n\n{% for x in name %}\n{{ x.__class__ }}\n{% endfor %}\n",
            "Line 4: access to attribute '__class__' of 'str' object is unsafe.",
        ),
        ("Hello {{ name }}\n", "Line 1: an e-mail template starts with 'Subject: …'"),
        ("Subject: Hi\nbody\n", "Line 2: a blank line must follow the subject"),
        ("Subject:   \n\nbody\n", "Line 1: the subject is empty"),
        ("Subject: Hi\n\n  \n", "Line 3: the body is empty"),
        (
            "Subject: " + "x" * 151 + "\n\nbody\n",
            "Line 1: the subject is longer than 150 characters",
        ),
    ],
)
def test_a_template_that_does_not_render_is_refused_with_its_line(
    text: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        template_parse(text, needs_subject=True)
    assert caught.value.message == message


def test_no_value_can_add_a_header() -> None:
    out = render(
        subject="Hi {{ name }}",
        body="x",
        values={"name": "Eve\r\nBcc: victim@example.com\nX-Evil: 1"},
    )
    assert out.subject == "Hi Eve Bcc: victim@example.com X-Evil: 1"
    assert "\n" not in out.subject and "\r" not in out.subject


def test_other_channels_need_no_subject() -> None:
    template = template_parse("{{ name }}，您的订单已发货。", needs_subject=False)
    assert (template.subject, template.body) == ("", "{{ name }}，您的订单已发货。")
