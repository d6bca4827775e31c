"""Segment pages: list, members (scope, pseudonyms), the builder's htmx steps,
save and its refusals, delete, and the export (its rows are the members)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from tests.access import World

from guanxi.core.crypto import pseudonym
from guanxi.customers.models import Tag
from guanxi.exports.models import ExportRecord
from guanxi.segments.models import Segment
from guanxi.segments.tests.factories import AS_OF, scored_run, snapshot

LIST = reverse("segments:segment-list")
NEW = reverse("segments:segment-create")
BUILDER = reverse("segments:segment-builder")
PREVIEW = reverse("segments:segment-preview")
STARS = {"all": [{"field": "quadrant", "op": "eq", "value": "star"}]}


@pytest.fixture
def stars(world: World) -> Segment:
    """Both customers of the access world are stars as of the latest run."""
    scored_run(AS_OF)
    snapshot(world.own_customer, quadrant="star", stage="mature")
    snapshot(world.foreign_customer, quadrant="star", stage="new")
    return Segment.objects.get(name="明星客户 Star")


def detail(segment: Segment) -> str:
    return reverse("segments:segment-detail", args=[segment.pk])


def form(
    *rules: dict[str, str | list[str]], kind: str = "all", **extra: Any
) -> dict[str, Any]:
    """The builder's form: a root group of ``kind`` holding ``rules``."""
    data: dict[str, Any] = {"node": ["r"], "r.kind": kind, **extra}
    for i, values in enumerate(rules):
        path = f"r.{i}"
        data["node"].append(path)
        data[f"{path}.kind"] = "rule"
        data[f"{path}.was"] = values["field"]
        data[f"{path}.opwas"] = values["op"]
        for key, value in values.items():
            data[f"{path}.{key}"] = value
    return data


def live_count(html: str) -> str:
    found = re.search(r'id="live-count">([^<]*)<', html)
    assert found is not None, html
    return found.group(1)


# --- list and detail --------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "members", "share"),
    [("admin", "2", "100.0 %"), ("account_manager", "1", "100.0 %")],
)
def test_list_shows_each_segments_members_in_the_viewers_scope(
    client_for: Any, stars: Segment, role: str, members: str, share: str
) -> None:
    html = client_for(role).get(LIST).content.decode()
    row = re.search(r"明星客户 Star</a>.*?</tr>", html, re.S)
    assert row is not None
    assert re.findall(r'<td class="num">([^<]*)</td>', row.group(0)) == [
        members,
        share,
    ]
    assert ("+ New segment" in html) is (role == "admin")


def test_detail_lists_the_members_the_viewer_may_see(
    client_for: Any, stars: Segment, world: World
) -> None:
    admin = client_for("admin").get(detail(stars)).content.decode()
    assert "王芳" in admin and "李雷" in admin
    assert 'id="segment-count">2<' in admin
    manager = client_for("account_manager").get(detail(stars)).content.decode()
    assert "王芳" in manager and "李雷" not in manager
    assert 'id="segment-count">1<' in manager
    assert "1 result<" in manager


def test_analysts_see_members_by_pseudonym_only(
    client_for: Any, stars: Segment, world: World
) -> None:
    html = client_for("analyst").get(detail(stars)).content.decode()
    for customer in (world.own_customer, world.foreign_customer):
        assert pseudonym(customer.pk) in html
        assert f"/customers/{customer.pk}/" not in html
    for secret in ("王芳", "李雷", "13800138000", "wang.fang@example.com"):
        assert secret not in html


def test_members_page_through_htmx_returns_the_rows_only(
    client_for: Any, stars: Segment
) -> None:
    response = client_for("admin").get(detail(stars), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert "王芳" in html and "2 results" in html


def test_a_segment_that_cannot_run_says_why(client_for: Any, world: World) -> None:
    broken = Segment.objects.create(
        name="broken", rules={"all": [{"field": "nope", "op": "eq", "value": 1}]}
    )
    response = client_for("admin").get(detail(broken))
    assert response.status_code == 400
    assert "Rule 1: unknown field &#x27;nope&#x27;" in response.content.decode()
    assert "cannot run" in client_for("admin").get(LIST).content.decode()


# --- the builder -------------------------------------------------------------------


def test_preview_counts_the_issue_example(
    client_for: Any, stars: Segment, world: World
) -> None:
    vip = Tag.objects.get(name="VIP")
    complained = Tag.objects.create(name="complained")
    world.foreign_customer.tags.add(complained)
    data = form(
        {"field": "quadrant", "op": "eq", "value": "star"},
        {"field": "city", "op": "eq", "value": "杭州"},
        {"field": "tag", "op": "has_not", "value": str(complained.pk)},
    )
    html = client_for("admin").post(PREVIEW, data).content.decode()
    assert live_count(html) == "1"
    assert "王芳" in html and "李雷" not in html
    assert "50.0 % of 2 customers" in html
    data["r.2.value"] = str(vip.pk)
    assert live_count(client_for("admin").post(PREVIEW, data).content.decode()) == "0"


def test_preview_says_which_rule_cannot_run_in_both_languages(
    client_for: Any, world: World
) -> None:
    data = form(
        {"field": "city", "op": "eq", "value": "杭州"},
        {"field": "orders", "op": "gte", "value": "many"},
    )
    english = client_for("admin").post(PREVIEW, data).content.decode()
    assert "Rule 2 (orders): the value must be a whole number" in english
    chinese = client_for("admin", "zh-hans").post(PREVIEW, data).content.decode()
    assert "规则 2（orders）：值应为整数" in chinese


def test_builder_adds_and_removes_rules_and_groups(
    client_for: Any, world: World
) -> None:
    client = client_for("operations")
    base = form({"field": "city", "op": "eq", "value": "杭州"})
    html = client.post(BUILDER, {**base, "action": "add-group:r"}).content.decode()
    assert re.findall(r'name="node" value="([^"]+)"', html) == [
        "r",
        "r.0",
        "r.1",
        "r.1.0",
    ]
    assert 'name="r.1.kind" id="id_r.1_kind"' in html
    assert 'hx-swap-oob="true"' in html  # the live count comes along
    html = client.post(BUILDER, {**base, "action": "add-rule:r"}).content.decode()
    assert re.findall(r'name="node" value="([^"]+)"', html) == ["r", "r.0", "r.1"]
    html = client.post(BUILDER, {**base, "action": "remove:r.0"}).content.decode()
    assert re.findall(r'name="node" value="([^"]+)"', html) == ["r"]
    assert "No rules: every customer." in html
    assert live_count(html) == "2"


def test_a_new_field_gets_its_operators_and_a_fitting_value(
    client_for: Any, world: World
) -> None:
    data = form({"field": "churn_risk", "op": "eq", "value": "star"})
    data["r.0.was"] = "quadrant"
    html = client_for("admin").post(BUILDER, data).content.decode()
    ops = re.search(r'name="r.0.op".*?</select>', html, re.S)
    assert ops is not None
    assert re.findall(r'<option value="([^"]+)"', ops.group(0)) == [
        "lt",
        "lte",
        "gt",
        "gte",
        "between",
        "empty",
        "not_empty",
    ]
    assert 'type="number" name="r.0.value" id="id_r.0_value" value=""' in html


def test_builder_and_preview_are_for_editors_only(
    client_for: Any, world: World
) -> None:
    data = form({"field": "city", "op": "eq", "value": "杭州"})
    for role in ("service", "account_manager", "analyst"):
        assert client_for(role).post(PREVIEW, data).status_code == 403
        assert client_for(role).post(BUILDER, data).status_code == 403


# --- save, edit, delete ------------------------------------------------------------


def test_save_a_new_segment_from_the_builder(client_for: Any, stars: Segment) -> None:
    data = form(
        {"field": "quadrant", "op": "in", "value": ["star", "cash_cow"]},
        {"field": "city", "op": "in", "value": "杭州，上海"},
        name="江浙沪高价值",
    )
    response = client_for("operations").post(NEW, data)
    saved = Segment.objects.get(name="江浙沪高价值")
    assert response.status_code == 302
    assert response["Location"] == detail(saved)
    assert saved.rules == {
        "all": [
            {"field": "quadrant", "op": "in", "value": ["star", "cash_cow"]},
            {"field": "city", "op": "in", "value": ["杭州", "上海"]},
        ]
    }


def test_a_bad_rule_or_name_is_refused_and_nothing_saved(
    client_for: Any, world: World
) -> None:
    before = list(Segment.objects.values_list("id", "name", "rules"))
    client = client_for("admin")
    bad_rule = form({"field": "birth_year", "op": "gte", "value": "1800"}, name="老")
    response = client.post(NEW, bad_rule)
    assert response.status_code == 400
    assert "Rule 1 (birth_year): the value must be from 1900 to" in (
        response.content.decode()
    )
    taken = form({"field": "city", "op": "eq", "value": "杭州"}, name="明星客户 Star")
    response = client.post(NEW, taken)
    assert response.status_code == 400
    assert "A segment with this name already exists." in response.content.decode()
    assert list(Segment.objects.values_list("id", "name", "rules")) == before


def test_edit_shows_the_rules_and_saves_them_back(
    client_for: Any, stars: Segment
) -> None:
    client = client_for("admin")
    html = client.get(reverse("segments:segment-edit", args=[stars.pk])).content
    page = html.decode()
    assert 'name="r.0.field"' in page
    assert '<option value="quadrant" selected>' in page
    assert '<option value="star" selected>' in page
    data = form({"field": "quadrant", "op": "eq", "value": "star"}, name=stars.name)
    response = client.post(reverse("segments:segment-edit", args=[stars.pk]), data)
    assert response.status_code == 302
    stars.refresh_from_db()
    assert stars.rules == STARS


def test_delete_asks_then_deletes(client_for: Any, stars: Segment) -> None:
    client = client_for("admin")
    url = reverse("segments:segment-delete", args=[stars.pk])
    assert "明星客户 Star" in client.get(url).content.decode()
    assert Segment.objects.filter(pk=stars.pk).exists()
    response = client.post(url)
    assert response["Location"] == LIST
    assert not Segment.objects.filter(pk=stars.pk).exists()


# --- export ------------------------------------------------------------------------


def _export(client: Any, segment: Segment, fmt: str) -> bytes:
    url = reverse("segments:segment-export", args=[segment.pk])
    response = client.post(url, {"format": fmt})
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("role", ["admin", "operations", "account_manager", "analyst"])
def test_export_rows_are_the_members_as_the_role_sees_them(
    client_for: Any, stars: Segment, world: World, role: str
) -> None:
    client = client_for(role)
    html = client.get(detail(stars)).content.decode()
    count = int(re.search(r'id="segment-count">(\d+)<', html).group(1))  # type: ignore[union-attr]
    rows = list(
        csv.DictReader(io.StringIO(_export(client, stars, "csv").decode("utf-8-sig")))
    )
    assert len(rows) == count == (1 if role == "account_manager" else 2)
    ids = {row["id"] for row in rows}
    if role == "analyst":
        assert ids == {
            pseudonym(world.own_customer.pk),
            pseudonym(world.foreign_customer.pk),
        }
        assert "name" not in rows[0] and "phone" not in rows[0]
    elif role == "operations":
        assert {row["phone"] for row in rows} == {"138****8000", "139****9000"}
    else:
        assert str(world.own_customer.pk) in ids
    record = ExportRecord.objects.latest("id")
    assert (record.kind, record.rows, record.status) == ("customers", count, "done")
    assert record.destination == f"web download (segment {stars.pk})"


def test_export_as_a_workbook(client_for: Any, stars: Segment) -> None:
    book = load_workbook(io.BytesIO(_export(client_for("admin"), stars, "xlsx")))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("id", "name", "phone")
    assert len(rows) == 3


def test_export_refuses_roles_without_export_and_unknown_formats(
    client_for: Any, stars: Segment
) -> None:
    url = reverse("segments:segment-export", args=[stars.pk])
    response = client_for("service").post(url, {"format": "csv"})
    assert response.status_code == 403
    assert "may not export data" in response.content.decode()
    response = client_for("admin").post(url, {"format": "pdf"})
    assert response.status_code == 400
    assert "unknown format &quot;pdf&quot;: choose csv, xlsx or json" in (
        response.content.decode()
    )
    assert not ExportRecord.objects.exists()
