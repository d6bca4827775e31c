"""Who may reach the playbook editor (see tests/access.py).

Only roles that may manage insights (admins) reach it; everyone else gets a
404 as if it did not exist, and logged-out visitors go to the login page. The
playbook holds no customer data, so its rows answer alike: "own" is the row
for at-risk customers, "foreign" the row for star customers.
"""

from __future__ import annotations

from typing import Any

from tests.access import AccessCase, World, expect

EDITORS = expect(404, anonymous=302, admin=200)
EDITORS_REDIRECT = expect(404, anonymous=302, admin=302)


def _row(stage: str, quadrant: str) -> Any:
    def args(world: World) -> list[int]:
        from guanxi.insights.models import PlaybookAction

        return [PlaybookAction.objects.get(stage=stage, quadrant=quadrant).pk]

    return args


def _form(world: World) -> dict[str, Any]:
    return {
        "stage": "growing",
        "quadrant": "basic",
        "priority": 10,
        "channel": "sms",
        "title_zh": "成长期关怀",
        "title_en": "Growing: care",
        "text_zh": "分享使用技巧。",
        "text_en": "Share tips.",
    }


CASES = [
    AccessCase("playbook:list", EDITORS),
    AccessCase("playbook:create", EDITORS, label="form"),
    AccessCase("playbook:create", EDITORS_REDIRECT, method="POST", data=_form),
]


def _same_cell(stage: str, quadrant: str) -> Any:
    return lambda world: {**_form(world), "stage": stage, "quadrant": quadrant}


for label, stage, quadrant in (("own", "at_risk", ""), ("foreign", "", "star")):
    CASES += [
        AccessCase("playbook:edit", EDITORS, args=_row(stage, quadrant), label=label),
        AccessCase(
            "playbook:edit",
            EDITORS_REDIRECT,
            method="POST",
            args=_row(stage, quadrant),
            data=_same_cell(stage, quadrant),
            label=label,
        ),
        AccessCase(
            "playbook:delete",
            EDITORS_REDIRECT,
            method="POST",
            args=_row(stage, quadrant),
            label=label,
        ),
    ]
