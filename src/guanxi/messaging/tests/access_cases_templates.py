"""Who may reach the template pages and the send screen (see tests/access.py).

Admins and operations write templates and send to an audience; service and
account managers use the service templates (the list, a template read only,
the preview with a customer in their scope); analysts, whose view is
pseudonymous, do not message customers. "own" is a service template, which
every role that uses templates sees; "foreign" a marketing template, which
only those who write templates see (the others are answered as if it did not
exist). E-mail is not set up in the matrix's world, so reviewing or
confirming a send answers 400 with that message (queueing is in test_views).
"""

from __future__ import annotations

from typing import Any

from tests.access import AccessCase, World, expect

JSON = "application/json"
USE = expect(
    403, anonymous=302, admin=200, operations=200, service=200, account_manager=200
)
WRITE = expect(403, anonymous=302, admin=200, operations=200)
SAVED = expect(403, anonymous=302, admin=302, operations=302)
MARKETING_USE = expect(
    403, anonymous=302, admin=200, operations=200, service=404, account_manager=404
)
MARKETING_SAVED = expect(
    403, anonymous=302, admin=302, operations=302, service=404, account_manager=404
)
API_USE = expect(
    403,
    anonymous=401,
    no_role=404,
    admin=200,
    operations=200,
    service=200,
    account_manager=200,
)
API_WRITE = expect(403, anonymous=401, no_role=404, admin=200, operations=200)
API_MARKETING = expect(
    403,
    anonymous=401,
    no_role=404,
    admin=200,
    operations=200,
    service=404,
    account_manager=404,
)


def _templates(world: World) -> None:
    from guanxi.messaging.models import Template

    world.extra["service_template"] = Template.objects.create(
        name="order shipped",
        channel="sms",
        purpose="service",
        body_zh="{{ name }}，您的订单已发货。",
    )
    world.extra["marketing_template"] = Template.objects.create(
        name="spring tea",
        channel="email",
        purpose="marketing",
        subject_zh="新茶",
        body_zh="{{ name }}，明前龙井到了。",
    )


def _own(world: World) -> list[int]:
    return [world.extra["service_template"].pk]


def _foreign(world: World) -> list[int]:
    return [world.extra["marketing_template"].pk]


def _form(world: World) -> dict[str, Any]:
    return {
        "name": "生日",
        "channel": "sms",
        "purpose": "service",
        "body_zh": "{{ name }}，生日快乐！",
        "customer": str(world.own_customer.pk),
    }


def _send(step: str) -> Any:
    def data(world: World) -> dict[str, Any]:
        return {
            "template": world.extra["marketing_template"].pk,
            "audience": "all",
            "step": step,
        }

    return data


CASES = [
    AccessCase("message-templates:template-list", USE),
    AccessCase("message-templates:template-create", WRITE),
    AccessCase("message-templates:template-create", SAVED, method="POST", data=_form),
    AccessCase("message-templates:template-preview", USE, method="POST", data=_form),
    AccessCase("message-templates:send", WRITE, setup=_templates),
    AccessCase(
        "message-templates:send",
        expect(403, anonymous=302, admin=400, operations=400),
        method="POST",
        data=_send("review"),
        setup=_templates,
        label="review",
    ),
    AccessCase(
        "message-templates:send",
        expect(403, anonymous=302, admin=400, operations=400),
        method="POST",
        data=_send("confirm"),
        setup=_templates,
        label="confirm",
    ),
    AccessCase(
        "message-templates:send-preview",
        WRITE,
        method="POST",
        data=_send(""),
        setup=_templates,
    ),
]
for label, args, read, saved in (
    ("own", _own, USE, expect(403, anonymous=302, admin=302, operations=302)),
    ("foreign", _foreign, MARKETING_USE, MARKETING_SAVED),
):
    CASES += [
        AccessCase(
            "message-templates:template-edit",
            read,
            args=args,
            setup=_templates,
            label=label,
        ),
        AccessCase(
            "message-templates:template-edit",
            saved,
            method="POST",
            args=args,
            data=_form,
            setup=_templates,
            label=label,
        ),
        AccessCase(
            "message-templates:template-delete",
            WRITE if label == "own" else MARKETING_USE,
            args=args,
            setup=_templates,
            label=label,
        ),
        AccessCase(
            "message-templates:template-delete",
            saved,
            method="POST",
            args=args,
            setup=_templates,
            label=label,
        ),
    ]


def _api_body(world: World) -> dict[str, Any]:
    return {
        "name": "生日 birthday",
        "channel": "sms",
        "purpose": "service",
        "body_zh": "{{ name }}，生日快乐！",
    }


def _rename(world: World) -> dict[str, Any]:
    return {"name": "renamed"}


CASES += [
    AccessCase("api-message-template-list", API_USE, auth="token", setup=_templates),
    AccessCase(
        "api-message-template-list",
        expect(403, anonymous=401, no_role=404, admin=201, operations=201),
        method="POST",
        auth="token",
        data=_api_body,
        content_type=JSON,
    ),
]
for label, args, read in (
    ("own", _own, API_USE),
    ("foreign", _foreign, API_MARKETING),
):
    write = API_WRITE if label == "own" else API_MARKETING
    for method, expected in (
        ("GET", read),
        ("PUT", write),
        ("PATCH", write),
        ("DELETE", {**write, "admin": 204, "operations": 204}),
    ):
        CASES.append(
            AccessCase(
                "api-message-template-detail",
                expected,
                method=method,
                auth="token",
                args=args,
                data={"PUT": _api_body, "PATCH": _rename}.get(method),
                content_type=JSON if method in {"PUT", "PATCH"} else None,
                setup=_templates,
                label=label,
            )
        )
