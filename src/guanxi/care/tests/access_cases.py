"""Who may reach the care pages (see tests/access.py).

Admins, service and account managers work care tasks; operations, analysts
and users without a role are refused (403) the tasks. The inbox also holds
each person's recurring checklist, so operations and analysts open it too
(they see their checklist, never a customer's task); a checklist task is
ticked off only by its owner (404 for anyone else). An account manager sees and
closes only the tasks of their own customers: another manager's task is
answered as if it did not exist (404). Service and admins work the team's.
"""

from __future__ import annotations

import datetime as dt

from tests.access import AccessCase, World, expect


def _tasks(world: World) -> None:
    from guanxi.care.models import CareTask, ChurnWarning

    day = dt.date(2026, 11, 20)
    for key, customer, owner in (
        ("own_task", world.own_customer, world.users["account_manager"]),
        ("foreign_task", world.foreign_customer, world.other_manager),
    ):
        warning = ChurnWarning.objects.create(
            customer=customer,
            signals={"no_purchase": {"as_of": "2026-11-20", "days": 30}},
            opened_as_of=day,
            as_of=day,
        )
        world.extra[key] = CareTask.objects.create(
            warning=warning,
            customer=customer,
            owner=owner,
            due_on=day,
            remedy="coupon",
        )


def _checklist(world: World) -> None:
    from guanxi.care.models import ChecklistTask

    for key, owner, item in (
        ("own_checklist", world.users["operations"], "care_messages"),
        ("foreign_checklist", world.other_manager, "review_warnings"),
    ):
        world.extra[key] = ChecklistTask.objects.create(
            owner=owner, item=item, period_start=dt.date(2026, 11, 16)
        )


PAGE = expect(200, anonymous=302, no_role=403)
CLOSE_OWN = expect(302, no_role=403, operations=403, analyst=403)
CLOSE_FOREIGN = expect(
    302, no_role=403, operations=403, analyst=403, account_manager=404
)

CASES = [
    AccessCase("care:inbox", PAGE, setup=_tasks),
    AccessCase("care:inbox", PAGE, query="team=1", setup=_tasks, label="team"),
    # The win-back report: counts over the customers in scope (a manager's
    # own), no customer named; every role with a role may read it.
    AccessCase("care:report", expect(200, anonymous=302, no_role=403), setup=_tasks),
    AccessCase(
        "care:report",
        expect(400, anonymous=302, no_role=403),
        query="start=2026-13-01",
        label="bad date",
    ),
    # One's own daily digest on or off: everyone who has an inbox.
    AccessCase(
        "care:digest",
        expect(302, no_role=403),
        method="POST",
        data=lambda w: {"choice": "off"},
    ),
    # The header's badge: empty for roles without tasks, never refused.
    AccessCase("care:inbox-count", expect(200, anonymous=302)),
    # A checklist task is its owner's alone (here the operations user's).
    AccessCase(
        "care:checklist-close",
        expect(404, anonymous=302, operations=302),
        method="POST",
        args=lambda w: [w.extra["own_checklist"].pk],
        setup=_checklist,
        label="own",
    ),
    AccessCase(
        "care:checklist-close",
        expect(404, anonymous=302),
        method="POST",
        args=lambda w: [w.extra["foreign_checklist"].pk],
        setup=_checklist,
        label="foreign",
    ),
    AccessCase(
        "care:task-close",
        CLOSE_OWN,
        method="POST",
        args=lambda w: [w.extra["own_task"].pk],
        data=lambda w: {"outcome": "reached", "leave_reason": "price"},
        setup=_tasks,
        label="own",
    ),
    AccessCase(
        "care:task-close",
        CLOSE_FOREIGN,
        method="POST",
        args=lambda w: [w.extra["foreign_task"].pk],
        data=lambda w: {"outcome": "reached"},
        setup=_tasks,
        label="foreign",
    ),
]

JSON = "application/json"
API_LIST = expect(200, anonymous=401, no_role=403, operations=403, analyst=403)
API_CLOSE_OWN = expect(200, anonymous=401, no_role=403, operations=403, analyst=403)
API_CLOSE_FOREIGN = expect(
    200, anonymous=401, no_role=403, operations=403, analyst=403, account_manager=404
)

CASES += [
    AccessCase("api-care-task-list", API_LIST, auth="token", setup=_tasks),
    AccessCase("api-care-warning-list", API_LIST, auth="token", setup=_tasks),
    AccessCase(
        "api-care-task-close",
        API_CLOSE_OWN,
        method="POST",
        auth="token",
        args=lambda w: [w.extra["own_task"].pk],
        data=lambda w: {"outcome": "reached", "leave_reason": "price"},
        content_type=JSON,
        setup=_tasks,
        label="own",
    ),
    AccessCase(
        "api-care-task-close",
        API_CLOSE_FOREIGN,
        method="POST",
        auth="token",
        args=lambda w: [w.extra["foreign_task"].pk],
        data=lambda w: {"outcome": "not_reached"},
        content_type=JSON,
        setup=_tasks,
        label="foreign",
    ),
]

# The settings page: admins only; everyone else is answered as if it did not
# exist (as the scoring settings). A valid save redirects.
SETTINGS = expect(404, anonymous=302, admin=200)
CASES += [
    AccessCase("care:settings", SETTINGS),
    AccessCase(
        "care:settings",
        expect(404, anonymous=302, admin=302),
        method="POST",
        data=lambda w: {
            "no_purchase_days": "30",
            "rhythm_factor": "3",
            "p_alive_below": "0.3",
            "quiet_days": "7",
            "active_window_days": "30",
            "drop_ratio": "0.5",
            "complaints_per_month_above": "3",
            "negative_from": "0.6",
            "churn_risk_from": "0.7",
            "task_due_days": "1",
            "check_back_days": "7",
            "plan_steps": "2",
            "follow_up_zh": "您好",
            "follow_up_en": "Hello",
            "star-no_purchase_days": "14",
        },
        label="save",
    ),
]
