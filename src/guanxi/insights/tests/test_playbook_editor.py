"""The playbook editor: admins add, change and remove rows; bad input is
refused with the exact message in both languages and changes nothing; no
other role can open it."""

from __future__ import annotations

import html as htmllib
import re
from typing import Any

import pytest
from django.urls import reverse
from tests.access import World

from guanxi.insights.models import PlaybookAction
from guanxi.insights.selectors import playbook_choice_for

LIST = reverse("playbook:list")
CREATE = reverse("playbook:create")

GOOD = {
    "stage": "growing",
    "quadrant": "basic",
    "priority": "35",
    "channel": "wecom",
    "title_zh": "成长期：使用技巧分享",
    "title_en": "Growing: share tips",
    "text_zh": "每两周在企业微信分享一次使用技巧。",
    "text_en": "Share a tip on WeCom every two weeks.",
}


def table() -> list[tuple[Any, ...]]:
    return list(
        PlaybookAction.objects.order_by("pk").values_list(
            "pk", "stage", "quadrant", "priority", "channel", "title_zh", "title_en",
            "text_zh", "text_en",
        )
    )  # fmt: skip


def errors(html: str) -> list[str]:
    return [
        htmllib.unescape(e)
        for e in re.findall(
            r'<ul class="errorlist[^"]*"[^>]*>\s*<li>(.*?)</li>', html, re.S
        )
    ]


def test_admin_sees_the_rules_and_what_each_customer_gets(
    client_for: Any, world: World
) -> None:
    html = htmllib.unescape(client_for("admin").get(LIST).content.decode())
    rules = re.search(r'id="playbook-rules">(.*?)</table>', html, re.S)
    assert rules is not None
    assert rules.group(1).count("<tr>") == 11  # header + the 10 seed rows
    grid = re.search(r'id="playbook-grid">(.*?)</table>', html, re.S)
    assert grid is not None
    at_risk = re.search(
        r"<th scope=\"row\">At risk</th>(.*?)</tr>", grid.group(1), re.S
    )
    assert at_risk is not None
    assert (
        at_risk.group(1).count("Empathy call, with an offer matched to the reason") == 4
    )
    chinese = client_for("admin", "zh-hans").get(LIST).content.decode()
    assert "<h1>行动手册</h1>" in chinese
    assert "共情式关怀电话，按流失原因给出挽回权益" in chinese


def test_admin_adds_a_rule_and_customers_get_it(client_for: Any, world: World) -> None:
    client = client_for("admin")
    response = client.post(CREATE, GOOD)
    assert response.status_code == 302
    assert response["Location"] == LIST
    row = PlaybookAction.objects.get(stage="growing", quadrant="basic")
    assert (row.priority, row.channel, row.title_en) == (
        35,
        "wecom",
        "Growing: share tips",
    )
    assert row.updated_by == world.users["admin"]
    page = htmllib.unescape(client.get(LIST).content.decode())
    assert "Saved the action “Growing: share tips”." in page
    choice = playbook_choice_for(stage="growing", quadrant="basic")
    assert choice is not None and choice.action.pk == row.pk


def test_admin_changes_and_removes_a_rule(client_for: Any, world: World) -> None:
    client = client_for("admin")
    row = PlaybookAction.objects.get(stage="", quadrant="basic")
    url = reverse("playbook:edit", args=[row.pk])
    form = client.get(url).content.decode()
    assert 'value="Self-service and standard messages"' in form
    changed = {
        **GOOD,
        "stage": "",
        "quadrant": "basic",
        "title_en": "  Self-service\tfirst  ",
    }
    assert client.post(url, changed).status_code == 302
    row.refresh_from_db()
    assert row.title_en == "Self-service first"  # whitespace collapsed
    assert row.text_zh == GOOD["text_zh"]
    response = client.post(reverse("playbook:delete", args=[row.pk]))
    assert response.status_code == 302
    assert not PlaybookAction.objects.filter(pk=row.pk).exists()
    page = htmllib.unescape(client.get(LIST).content.decode())
    assert "Removed the action “Self-service first”." in page
    assert client.post(reverse("playbook:delete", args=[row.pk])).status_code == 404


BAD = [
    ({"stage": "at_risk", "quadrant": ""}, "__all__",
     "The playbook already has an action for this stage and quadrant.",
     "行动手册中已有该阶段和象限的行动。"),
    ({"stage": "emperor"}, "stage",
     "Select a valid choice. emperor is not one of the available choices.",
     "选择一个有效的选项。 emperor 不在可用的选项中。"),
    ({"channel": "pigeon"}, "channel",
     "Select a valid choice. pigeon is not one of the available choices.",
     "选择一个有效的选项。 pigeon 不在可用的选项中。"),
    ({"priority": "101"}, "priority",
     "Ensure this value is less than or equal to 100.", "确保该值小于或等于100。"),
    ({"priority": "-1"}, "priority",
     "Ensure this value is greater than or equal to 0.", "确保该值大于或等于0。"),
    ({"priority": "high"}, "priority", "Enter a whole number.", "输入整数。"),
    ({"title_en": "   "}, "title_en", "This field is required.", "该字段是必填项。"),
    ({"title_zh": "长" * 81}, "title_zh",
     "Ensure this value has at most 80 characters (it has 81).",
     "确保该变量包含不超过 80 字符 (目前字符数 81)。"),
    ({"title_en": "Ca\x07ll"}, "title_en",
     "control character U+0007 at position 3 is not allowed",
     "第 3 个字符是控制字符 U+0007，不允许使用"),
    ({"text_zh": "好" * 1001}, "text_zh",
     "Ensure this value has at most 1000 characters (it has 1001).",
     "确保该变量包含不超过 1000 字符 (目前字符数 1001)。"),
    ({"text_en": "line\x1bone"}, "text_en",
     "control character U+001B at position 5 is not allowed",
     "第 5 个字符是控制字符 U+001B，不允许使用"),
    ({"text_en": "nul\x00"}, "text_en", "Null characters are not allowed.", "不允许是用空字符串。"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "field", "english", "chinese"), BAD)
def test_bad_input_is_refused_exactly_and_changes_nothing(
    client_for: Any,
    world: World,
    change: dict[str, str],
    field: str,
    english: str,
    chinese: str,
) -> None:
    before = table()
    for language, message in (("en", english), ("zh-hans", chinese)):
        response = client_for("admin", language).post(CREATE, {**GOOD, **change})
        assert response.status_code == 400
        assert errors(response.content.decode()) == [message]
    assert table() == before


def test_moving_a_rule_onto_a_taken_cell_changes_nothing(
    client_for: Any, world: World
) -> None:
    row = PlaybookAction.objects.get(stage="", quadrant="basic")
    before = table()
    response = client_for("admin").post(
        reverse("playbook:edit", args=[row.pk]),
        {**GOOD, "stage": "", "quadrant": "star"},
    )
    assert response.status_code == 400
    assert errors(response.content.decode()) == [
        "The playbook already has an action for this stage and quadrant."
    ]
    assert table() == before


def test_markup_in_a_rule_is_shown_as_text(client_for: Any, world: World) -> None:
    hostile = {**GOOD, "title_en": '<script>alert("x")</script>'}
    assert client_for("admin").post(CREATE, hostile).status_code == 302
    html = client_for("admin").get(LIST).content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    "role", ["analyst", "operations", "service", "account_manager", "no_role"]
)
def test_other_roles_cannot_open_or_change_the_playbook(
    client_for: Any, world: World, role: str
) -> None:
    before = table()
    client = client_for(role)
    row = PlaybookAction.objects.get(stage="at_risk", quadrant="")
    assert client.get(LIST).status_code == 404
    assert client.post(CREATE, GOOD).status_code == 404
    assert client.post(reverse("playbook:edit", args=[row.pk]), GOOD).status_code == 404
    assert client.post(reverse("playbook:delete", args=[row.pk])).status_code == 404
    assert table() == before
