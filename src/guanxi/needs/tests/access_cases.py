"""Who may reach the needs pages and endpoints (see tests/access.py).

Admins, operations, customer service and analysts read the needs list (an
analyst's example texts masked); account managers and users without a role
are refused (403): a need counts every customer who raised it. Admins,
operations and service set a status and close the loop; admins merge. A need
that does not exist is a 404 for the roles that may read needs.
"""

from __future__ import annotations

from tests.access import AccessCase, World, expect


def _needs(world: World) -> None:
    from guanxi.needs.models import Need, NeedMention

    done = Need.objects.create(term="物流", status="done", customers=2, texts=2)
    other = Need.objects.create(term="包装", customers=1, texts=1)
    for need, interaction in (
        (done, world.own_interaction),
        (done, world.foreign_interaction),
        (other, world.own_interaction),
    ):
        NeedMention.objects.create(
            need=need,
            source="interaction",
            source_id=interaction.pk,
            customer_id=interaction.customer_id,
            month="2026-11",
        )
    world.extra["need"] = done
    world.extra["other"] = other


OWN = lambda w: [w.extra["need"].pk]  # noqa: E731
NONE = lambda w: [999_999]  # noqa: E731
JSON = "application/json"

READ = expect(403, anonymous=302, admin=200, operations=200, service=200, analyst=200)
READ_MISSING = expect(
    403, anonymous=302, admin=404, operations=404, service=404, analyst=404
)
WORK = expect(403, anonymous=302, admin=302, operations=302, service=302)
WORK_BAD = expect(403, anonymous=302, admin=400, operations=400, service=400)
WORK_PAGE = expect(403, anonymous=302, admin=200, operations=200, service=200)
API_READ = expect(
    403, anonymous=401, admin=200, operations=200, service=200, analyst=200
)
API_MISSING = expect(
    403, anonymous=401, admin=404, operations=404, service=404, analyst=404
)
API_WORK = expect(403, anonymous=401, admin=200, operations=200, service=200)

CASES = [
    AccessCase("needs:list", READ, setup=_needs),
    AccessCase("needs:detail", READ, args=OWN, setup=_needs, label="own"),
    AccessCase("needs:detail", READ_MISSING, args=NONE, label="foreign"),
    AccessCase(
        "needs:status",
        WORK,
        method="POST",
        args=OWN,
        data=lambda w: {"status": "planned"},
        setup=_needs,
        label="own",
    ),
    AccessCase(
        "needs:status",
        WORK_BAD,
        method="POST",
        args=OWN,
        data=lambda w: {"status": "finished"},
        setup=_needs,
        label="own bad",
    ),
    AccessCase(
        "needs:status",
        READ_MISSING,
        method="POST",
        args=NONE,
        data=lambda w: {"status": "planned"},
        label="foreign",
    ),
    AccessCase(
        "needs:merge",
        expect(403, anonymous=302, admin=302),
        method="POST",
        args=lambda w: [w.extra["other"].pk],
        data=lambda w: {"into": "物流"},
        setup=_needs,
        label="own",
    ),
    AccessCase(
        "needs:merge",
        READ_MISSING,
        method="POST",
        args=NONE,
        data=lambda w: {"into": "物流"},
        label="foreign",
    ),
    AccessCase(
        "needs:notify",
        WORK_PAGE,
        method="POST",
        args=OWN,
        data=lambda w: {"channel": "email", "preview": "1"},
        setup=_needs,
        label="own",
    ),
    AccessCase(
        "needs:notify",
        WORK_BAD,
        method="POST",
        args=OWN,
        data=lambda w: {"channel": "fax", "text_zh": "好", "text_en": "ok"},
        setup=_needs,
        label="own bad",
    ),
    AccessCase(
        "needs:notify",
        READ_MISSING,
        method="POST",
        args=NONE,
        data=lambda w: {"channel": "email", "preview": "1"},
        label="foreign",
    ),
    AccessCase("api-need-list", API_READ, auth="token", setup=_needs),
    AccessCase(
        "api-need-detail", API_READ, auth="token", args=OWN, setup=_needs, label="own"
    ),
    AccessCase(
        "api-need-detail", API_MISSING, auth="token", args=NONE, label="foreign"
    ),
    AccessCase(
        "api-need-status",
        API_WORK,
        method="POST",
        auth="token",
        args=OWN,
        data=lambda w: {"status": "planned"},
        content_type=JSON,
        setup=_needs,
        label="own",
    ),
    AccessCase(
        "api-need-status",
        API_MISSING,
        method="POST",
        auth="token",
        args=NONE,
        data=lambda w: {"status": "planned"},
        content_type=JSON,
        label="foreign",
    ),
]
