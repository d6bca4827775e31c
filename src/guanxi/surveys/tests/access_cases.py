"""Who may reach the surveys' pages (see tests/access.py).

The report and the answers: every role with a role (scoped: a manager's
figures and answers are their own customers'; analysts see masked text).
Texts: admins. Sending to a segment: admins and operations. The answer page
is public: whoever holds the signed link (a link is the customer's own;
another customer's is no different to anyone)."""

from __future__ import annotations

import datetime as dt

from tests.access import AccessCase, World, expect


def _invitations(world: World) -> None:
    from django.utils import timezone

    from guanxi.surveys.links import survey_token
    from guanxi.surveys.models import Invitation, Survey

    survey = Survey.objects.get(kind="nps")
    for key, customer in (
        ("own_link", world.own_customer),
        ("foreign_link", world.foreign_customer),
    ):
        invitation = Invitation.objects.create(
            survey=survey,
            customer=customer,
            trigger="manual",
            nonce="0123456789abcdef",
            expires_at=timezone.now() + dt.timedelta(days=14),
        )
        world.extra[key] = survey_token(
            invitation_id=invitation.pk, customer_id=customer.pk, nonce=invitation.nonce
        )


def _segment(world: World) -> None:
    from guanxi.segments.models import Segment

    world.extra["segment"] = Segment.objects.order_by("id").first()


PAGE = expect(200, anonymous=302, no_role=403)
ADMIN = expect(403, anonymous=302, admin=302)
SENDERS = expect(403, anonymous=302, admin=200, operations=200)
PUBLIC = expect(200)
TEXTS = {
    "zh-hans.invite_body": "{{ survey_url }}",
    "en.invite_body": "{{ survey_url }}",
}

CASES = [
    AccessCase("surveys:home", PAGE, setup=_invitations),
    AccessCase("surveys:answers", PAGE, setup=_invitations),
    AccessCase(
        "surveys:edit", expect(403, anonymous=302, admin=200), args=lambda w: ["nps"],
        label="own",
    ),
    AccessCase(
        "surveys:edit", expect(403, anonymous=302, admin=200), args=lambda w: ["csat"],
        label="foreign",
    ),
    AccessCase(
        "surveys:edit", ADMIN, method="POST", args=lambda w: ["nps"],
        data=lambda w: TEXTS, label="save",
    ),
    AccessCase(
        "surveys:send", SENDERS, args=lambda w: ["nps"], label="own",
    ),
    AccessCase(
        "surveys:send", SENDERS, args=lambda w: ["needs"], label="foreign",
    ),
    AccessCase(
        "surveys:send", SENDERS, method="POST", args=lambda w: ["nps"],
        data=lambda w: {"segment": w.extra["segment"].pk, "action": "preview"},
        setup=_segment, label="count",
    ),
    AccessCase(
        "surveys-public:answer", PUBLIC, args=lambda w: [w.extra["own_link"]],
        setup=_invitations, label="own",
    ),
    AccessCase(
        "surveys-public:answer", PUBLIC, args=lambda w: [w.extra["foreign_link"]],
        setup=_invitations, label="foreign",
    ),
    AccessCase(
        "surveys-public:answer", PUBLIC, method="POST",
        args=lambda w: [w.extra["own_link"]], data=lambda w: {"score": "10"},
        setup=_invitations, label="answer",
    ),
]  # fmt: skip

API = expect(200, anonymous=401, no_role=403)
CASES += [
    AccessCase("api-survey-list", API, auth="token"),
    AccessCase("api-survey-invitation-list", API, auth="token", setup=_invitations),
    AccessCase("api-survey-answer-list", API, auth="token", setup=_invitations),
]
