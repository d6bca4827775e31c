"""Who may reach the segment pages and endpoints (see tests/access.py).

Segments are shared definitions: every role may read them, admins and
operations may change them. What differs by scope is what a segment holds: the
"own" segment's only member is the account manager's customer, the "foreign"
segment's only member is another manager's — both pages answer 200, and the
account manager finds no member in the foreign one (tested in test_views).
"""

from __future__ import annotations

from typing import Any

from tests.access import AccessCase, World, expect

JSON = "application/json"
# Pages.
READ = expect(200, anonymous=302, no_role=404)
EDIT = expect(403, anonymous=302, admin=200, operations=200)
SAVED = expect(403, anonymous=302, admin=302, operations=302)
EXPORT = expect(200, anonymous=302, no_role=404, service=403)
# The API.
API_READ = expect(200, anonymous=401, no_role=404)
API_WRITE = expect(403, anonymous=401, no_role=404, admin=200, operations=200)


def _segments(world: World) -> None:
    from guanxi.segments.models import Segment

    def by_manager(name: str, manager: Any) -> Segment:
        rules = {
            "all": [{"field": "assigned_manager", "op": "eq", "value": manager.pk}]
        }
        return Segment.objects.create(name=name, rules=rules)

    world.extra["own_segment"] = by_manager("own", world.users["account_manager"])
    world.extra["foreign_segment"] = by_manager("foreign", world.other_manager)


def _own(world: World) -> list[int]:
    return [world.extra["own_segment"].pk]


def _foreign(world: World) -> list[int]:
    return [world.extra["foreign_segment"].pk]


def _form(world: World) -> dict[str, Any]:
    return {
        "name": "杭州客户",
        "node": ["r", "r.0"],
        "r.kind": "all",
        "r.0.kind": "rule",
        "r.0.field": "city",
        "r.0.was": "city",
        "r.0.op": "eq",
        "r.0.opwas": "eq",
        "r.0.value": "杭州",
    }


def _rules(world: World) -> dict[str, Any]:
    return {"rules": {"all": [{"field": "city", "op": "eq", "value": "杭州"}]}}


CASES = [
    AccessCase("segments:segment-list", expect(200, anonymous=302)),
    AccessCase("segments:segment-create", EDIT),
    AccessCase("segments:segment-create", SAVED, method="POST", data=_form),
    AccessCase("segments:segment-builder", EDIT, method="POST", data=_form),
    AccessCase("segments:segment-preview", EDIT, method="POST", data=_form),
]
for label, args in (("own", _own), ("foreign", _foreign)):
    CASES += [
        AccessCase(
            "segments:segment-detail", READ, args=args, setup=_segments, label=label
        ),
        AccessCase(
            "segments:segment-edit", EDIT, args=args, setup=_segments, label=label
        ),
        AccessCase(
            "segments:segment-edit",
            SAVED,
            method="POST",
            args=args,
            data=_form,
            setup=_segments,
            label=label,
        ),
        AccessCase(
            "segments:segment-delete", EDIT, args=args, setup=_segments, label=label
        ),
        AccessCase(
            "segments:segment-delete",
            expect(403, anonymous=302, admin=302, operations=302),
            method="POST",
            args=args,
            setup=_segments,
            label=label,
        ),
        AccessCase(
            "segments:segment-export",
            EXPORT,
            method="POST",
            args=args,
            data=lambda w: {"format": "csv"},
            setup=_segments,
            label=label,
        ),
        AccessCase(
            "api-segment-detail",
            API_READ,
            auth="token",
            args=args,
            setup=_segments,
            label=label,
        ),
        AccessCase(
            "api-segment-detail",
            API_WRITE,
            method="PATCH",
            auth="token",
            args=args,
            data=lambda w: {"description": "杭州"},
            content_type=JSON,
            setup=_segments,
            label=label,
        ),
        AccessCase(
            "api-segment-detail",
            API_WRITE,
            method="PUT",
            auth="token",
            args=args,
            data=lambda w: {"name": "杭州客户", **_rules(w)},
            content_type=JSON,
            setup=_segments,
            label=label,
        ),
        AccessCase(
            "api-segment-detail",
            expect(403, anonymous=401, no_role=404, admin=204, operations=204),
            method="DELETE",
            auth="token",
            args=args,
            setup=_segments,
            label=label,
        ),
        AccessCase(
            "api-segment-members",
            API_READ,
            auth="token",
            args=args,
            setup=_segments,
            label=label,
        ),
        AccessCase(
            "api-segment-count",
            API_READ,
            auth="token",
            args=args,
            setup=_segments,
            label=label,
        ),
    ]
CASES += [
    AccessCase("api-segment-list", expect(200, anonymous=401), auth="token"),
    AccessCase(
        "api-segment-list",
        expect(403, anonymous=401, admin=201, operations=201),
        method="POST",
        auth="token",
        data=lambda w: {"name": "杭州客户", **_rules(w)},
        content_type=JSON,
    ),
    AccessCase(
        "api-segment-count-rules",
        API_READ,
        method="POST",
        auth="token",
        data=_rules,
        content_type=JSON,
    ),
]
