"""Who may reach the journeys pages (see tests/access.py).

Admins and operations (who send to audiences) see the journeys, their flow
and a dry run, over the customers in their scope; only admins switch a
journey on or off and build (create, edit) one. Other roles are refused (403). A slug that does not
exist is answered 404 to those who may see journeys.
"""

from __future__ import annotations

from tests.access import AccessCase, World, expect


def _journey(world: World) -> None:
    from guanxi.journeys.models import Journey, JourneyVersion

    journey = Journey.objects.create(
        slug="access-test", name_zh="欢迎", name_en="Welcome"
    )
    version = JourneyVersion.objects.create(
        journey=journey,
        number=1,
        definition={
            "trigger": {"type": "event", "event": "customer_created"},
            "steps": [
                {"id": "wait", "type": "wait", "duration": {"days": 1}, "next": "tag"},
                {"id": "tag", "type": "add_tag", "tag": "新客", "next": ""},
            ],
        },
    )
    Journey.objects.filter(pk=journey.pk).update(current_version=version)


READ = expect(
    200, anonymous=302, no_role=403, service=403, account_manager=403, analyst=403
)
READ_UNKNOWN = expect(
    404, anonymous=302, no_role=403, service=403, account_manager=403, analyst=403
)
BUILD = expect(403, anonymous=302, admin=200)
BUILD_UNKNOWN = expect(403, anonymous=302, admin=404)
SWITCH = expect(403, anonymous=302, admin=302)
SWITCH_UNKNOWN = expect(403, anonymous=302, admin=404)

CASES = [
    AccessCase("journeys:list", READ, setup=_journey),
    AccessCase("journeys:playbooks", SWITCH, method="POST"),
    AccessCase("journeys:new", BUILD),
    AccessCase(
        "journeys:edit",
        BUILD,
        args=lambda w: ["access-test"],
        setup=_journey,
        label="own",
    ),
    AccessCase(
        "journeys:edit",
        BUILD_UNKNOWN,
        args=lambda w: ["nobody"],
        setup=_journey,
        label="foreign",
    ),
    AccessCase(
        "journeys:detail",
        READ,
        args=lambda w: ["access-test"],
        setup=_journey,
        label="own",
    ),
    AccessCase(
        "journeys:detail",
        READ_UNKNOWN,
        args=lambda w: ["nobody"],
        setup=_journey,
        label="foreign",
    ),
    AccessCase(
        "journeys:dry-run",
        READ,
        args=lambda w: ["access-test"],
        setup=_journey,
        label="own",
    ),
    AccessCase(
        "journeys:dry-run",
        READ_UNKNOWN,
        args=lambda w: ["nobody"],
        setup=_journey,
        label="foreign",
    ),
    AccessCase(
        "journeys:report",
        READ,
        args=lambda w: ["access-test"],
        setup=_journey,
        label="own",
    ),
    AccessCase(
        "journeys:report",
        READ_UNKNOWN,
        args=lambda w: ["nobody"],
        setup=_journey,
        label="foreign",
    ),
    AccessCase(
        "journeys:state",
        SWITCH,
        method="POST",
        args=lambda w: ["access-test"],
        data=lambda w: {"state": "on"},
        setup=_journey,
        label="own",
    ),
    AccessCase(
        "journeys:state",
        SWITCH_UNKNOWN,
        method="POST",
        args=lambda w: ["nobody"],
        data=lambda w: {"state": "on"},
        setup=_journey,
        label="foreign",
    ),
]

JSON = "application/json"
API_READ = expect(
    200, anonymous=401, no_role=403, service=403, account_manager=403, analyst=403
)
API_READ_UNKNOWN = expect(
    404, anonymous=401, no_role=403, service=403, account_manager=403, analyst=403
)
API_ADMIN = expect(403, anonymous=401, admin=200)
API_ADMIN_UNKNOWN = expect(403, anonymous=401, admin=404)
BODY = {
    "name_zh": "欢迎",
    "name_en": "Welcome",
    "definition": {
        "trigger": {"type": "event", "event": "customer_created"},
        "steps": [{"id": "tag", "type": "add_tag", "tag": "新客"}],
    },
}
OWN = lambda w: ["access-test"]  # noqa: E731
NONE = lambda w: ["nobody"]  # noqa: E731

CASES += [
    AccessCase("api-journey-list", API_READ, auth="token", setup=_journey),
    AccessCase(
        "api-journey-list",
        expect(403, anonymous=401, admin=201),
        method="POST",
        auth="token",
        data=lambda w: {**BODY, "slug": "api-new"},
        content_type=JSON,
        label="create",
    ),
    AccessCase(
        "api-journey-detail",
        API_READ,
        auth="token",
        args=OWN,
        setup=_journey,
        label="own",
    ),
    AccessCase(
        "api-journey-detail",
        API_READ_UNKNOWN,
        auth="token",
        args=NONE,
        setup=_journey,
        label="foreign",
    ),
    AccessCase(
        "api-journey-detail",
        API_ADMIN,
        method="PUT",
        auth="token",
        args=OWN,
        data=lambda w: BODY,
        content_type=JSON,
        setup=_journey,
        label="own update",
    ),
    AccessCase(
        "api-journey-detail",
        API_ADMIN_UNKNOWN,
        method="PUT",
        auth="token",
        args=NONE,
        data=lambda w: BODY,
        content_type=JSON,
        setup=_journey,
        label="foreign update",
    ),
    AccessCase(
        "api-journey-enable",
        API_ADMIN,
        method="POST",
        auth="token",
        args=OWN,
        setup=_journey,
        label="own",
    ),
    AccessCase(
        "api-journey-enable",
        API_ADMIN_UNKNOWN,
        method="POST",
        auth="token",
        args=NONE,
        setup=_journey,
        label="foreign",
    ),
    AccessCase(
        "api-journey-disable",
        API_ADMIN,
        method="POST",
        auth="token",
        args=OWN,
        setup=_journey,
        label="own",
    ),
    AccessCase(
        "api-journey-disable",
        API_ADMIN_UNKNOWN,
        method="POST",
        auth="token",
        args=NONE,
        setup=_journey,
        label="foreign",
    ),
    AccessCase(
        "api-journey-report",
        API_READ,
        auth="token",
        args=OWN,
        setup=_journey,
        label="own",
    ),
    AccessCase(
        "api-journey-report",
        API_READ_UNKNOWN,
        auth="token",
        args=NONE,
        setup=_journey,
        label="foreign",
    ),
    AccessCase("api-enrolment-list", API_READ, auth="token", setup=_journey),
]
