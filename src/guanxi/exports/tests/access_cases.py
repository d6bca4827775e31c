"""Who may reach exports from the browser (see tests/access.py).

Roles whose policy may export (admin, operations, account manager, analyst)
ask for exports; the others get 404 as if exports did not exist. An export and
its file are their maker's alone: the "own" export is the account manager's,
the "foreign" one another manager's, and everyone else, administrators
included, gets 404 for either.
"""

from __future__ import annotations

from typing import Any

from tests.access import AccessCase, World, expect

EXPORTERS = expect(200, anonymous=302, no_role=404, service=404)
EXPORTERS_REDIRECT = expect(302, no_role=404, service=404)
MAKER_ONLY = expect(404, anonymous=302, account_manager=200)
NOBODY = expect(404, anonymous=302)


def _exports(world: World) -> None:
    import secrets

    from guanxi.exports.background import exports_folder
    from guanxi.exports.models import ExportRecord

    for label, user in (
        ("own", world.users["account_manager"]),
        ("foreign", world.other_manager),
    ):
        name = f"export-access-{secrets.token_hex(8)}.csv"
        (exports_folder() / name).write_text("Customer no.\r\n")
        world.extra[label] = ExportRecord.objects.create(
            actor=user,
            actor_label=user.get_username(),
            role="account_manager",
            kind="customers",
            format="csv",
            destination="browser",
            status=ExportRecord.Status.DONE,
            for_people=True,
            total=0,
            file_name=name,
        )


def _export(label: str) -> Any:
    return lambda w: [w.extra[label].pk]


CASES = [
    AccessCase("exports:export-list", EXPORTERS),
    AccessCase(
        "exports:export-create",
        EXPORTERS_REDIRECT,
        method="POST",
        data=lambda w: {"kind": "customers", "format": "xlsx", "query": "city=杭州"},
    ),
    AccessCase(
        "exports:export-create",
        # The foreign customer's orders filter to nothing, as on the orders list.
        EXPORTERS_REDIRECT,
        method="POST",
        data=lambda w: {
            "kind": "orders",
            "format": "csv",
            "query": f"customer={w.foreign_customer.pk}",
        },
        label="foreign customer",
    ),
    AccessCase(
        "exports:export-create",
        expect(400, anonymous=302, no_role=404, service=404),
        method="POST",
        data=lambda w: {"kind": "customers", "format": "pdf", "query": ""},
        label="invalid",
    ),
    AccessCase(
        "exports:export-create",
        expect(405, anonymous=302),
        label="GET",
    ),
]
for _label, _expect in (("own", MAKER_ONLY), ("foreign", NOBODY)):
    CASES += [
        AccessCase(
            "exports:export-detail",
            _expect,
            args=_export(_label),
            label=_label,
            setup=_exports,
        ),
        AccessCase(
            "exports:export-download",
            _expect,
            args=_export(_label),
            label=_label,
            setup=_exports,
        ),
    ]
