"""Who may reach the scoring pages and the scores API (see tests/access.py).

The scoring pages are for administrators; everyone else gets 404 as if they
did not exist. Runs are about every customer, not one: the "own" and "foreign"
runs (two dates) answer alike. Scores follow the customers' scope.
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
