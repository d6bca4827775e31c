"""Who may reach the scoring pages and the scores API (see tests/access.py).

The scoring pages are for administrators; everyone else gets 404 as if they
did not exist. Runs are about every customer, not one: the "own" and "foreign"
runs (two dates) answer alike. Scores follow the customers' scope.

The playbook editor is for administrators too. The playbook holds no customer
data, so its rows answer alike: "own" is the row for at-risk customers,
"foreign" the row for star customers.
"""

from __future__ import annotations

from typing import Any

from tests.access import AccessCase, World, expect

ADMINS = expect(404, anonymous=302, admin=200)
ADMINS_REDIRECT = expect(404, anonymous=302, admin=302)
OWN = expect(200, anonymous=401, no_role=404, analyst=404)
FOREIGN = expect(200, anonymous=401, no_role=404, analyst=404, account_manager=404)


def _runs(world: World) -> None:
    from guanxi.insights.models import ScoreRun, ScoreSnapshot

    for label, day in (("own", "2026-10-31"), ("foreign", "2026-11-30")):
        run = ScoreRun.objects.create(as_of=day, status="done", customers=2)
        world.extra[label] = run
        for customer in (world.own_customer, world.foreign_customer):
            ScoreSnapshot.objects.create(
                customer=customer,
                as_of=day,
                quadrant="basic",
                stage="new",
                emotion="ordinary",
            )


def _run(label: str) -> Any:
    return lambda w: [w.extra[label].pk]


CASES = [
    AccessCase("insights:runs", ADMINS),
    AccessCase("insights:settings", ADMINS),
    AccessCase(
        "insights:settings",
        expect(404, anonymous=302, admin=400),
        method="POST",
        data=lambda w: {"new_days": "x"},
        label="invalid form",
    ),
    AccessCase(
        "insights:run-start",
        ADMINS_REDIRECT,
        method="POST",
        data=lambda w: {"as_of": "not a date"},
        label="invalid date",
    ),
    AccessCase("api-score-list", expect(200, anonymous=401), auth="token", setup=_runs),
    AccessCase(
        "api-score-run-list",
        expect(403, anonymous=401, admin=200),
        auth="token",
        setup=_runs,
    ),
    AccessCase(
        "api-customer-scores",
        OWN,
        auth="token",
        args=lambda w: [w.own_customer.pk],
        label="own",
        setup=_runs,
    ),
    AccessCase(
        "api-customer-scores",
        FOREIGN,
        auth="token",
        args=lambda w: [w.foreign_customer.pk],
        label="foreign",
        setup=_runs,
    ),
]
for _label in ("own", "foreign"):
    CASES.append(
        AccessCase(
            "insights:run-progress",
            ADMINS,
            args=_run(_label),
            label=_label,
            setup=_runs,
        )
    )

# --- the playbook editor ---------------------------------------------------

PLAYBOOK_EDITORS = expect(404, anonymous=302, admin=200)
PLAYBOOK_PLAYBOOK_EDITORS_REDIRECT = expect(404, anonymous=302, admin=302)


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


CASES += [
    AccessCase("playbook:list", PLAYBOOK_EDITORS),
    AccessCase("playbook:create", PLAYBOOK_EDITORS, label="form"),
    AccessCase(
        "playbook:create", PLAYBOOK_PLAYBOOK_EDITORS_REDIRECT, method="POST", data=_form
    ),
]


def _same_cell(stage: str, quadrant: str) -> Any:
    return lambda world: {**_form(world), "stage": stage, "quadrant": quadrant}


for label, stage, quadrant in (("own", "at_risk", ""), ("foreign", "", "star")):
    CASES += [
        AccessCase(
            "playbook:edit", PLAYBOOK_EDITORS, args=_row(stage, quadrant), label=label
        ),
        AccessCase(
            "playbook:edit",
            PLAYBOOK_PLAYBOOK_EDITORS_REDIRECT,
            method="POST",
            args=_row(stage, quadrant),
            data=_same_cell(stage, quadrant),
            label=label,
        ),
        AccessCase(
            "playbook:delete",
            PLAYBOOK_PLAYBOOK_EDITORS_REDIRECT,
            method="POST",
            args=_row(stage, quadrant),
            label=label,
        ),
    ]
