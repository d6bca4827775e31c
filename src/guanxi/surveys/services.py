"""Writes of surveys: the texts an admin edits, invitations (after a trigger
or to a segment, with the per-customer cap) and answers, which act.

An answer acts at once, in its own transaction:

- **tags**: NPS group (``NPS·推荐者`` / ``NPS·中立者`` / ``NPS·贬损者``, the
  previous group taken off), a CSAT of 1–2 ``CSAT·不满意``, each churn reason
  ``流失原因·价格`` …;
- **timeline and emotion layer**: the answer is written on the customer's
  timeline as an interaction: a detractor or a CSAT of 1–2 as a
  ``complaint`` (costs emotion points, counts towards drifting), a promoter or
  a CSAT of 4–5 as a ``review`` (earns them), anything else as a ``note``
  (no effect). The emotion layer is recomputed by the next scoring run from
  these interactions, as for any other; care reads the complaint at once;
- **care**: a detractor (0–6) or a CSAT of 1–2 opens a care task for the
  customer's account manager (else the service team in turn) with the
  answer as the reason, or adds to the warning already open (one task).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.care.services import warning_from_answer
from guanxi.core.errors import (
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from guanxi.customers.choices import InteractionKind, TagSource
from guanxi.customers.selectors import customer_rows, tag_by_name
from guanxi.customers.services import (
    InteractionBulkWriter,
    customer_tag_remove,
    customer_tags_bulk_add,
    interactions_announce,
)
from guanxi.messaging.services import personal_send
from guanxi.segments.selectors import everyone_actor, segment_get, segment_members
from guanxi.surveys.choices import ChurnReason, NpsGroup, SurveyKind, Trigger
from guanxi.surveys.defaults import KEYS, TEXT_MAX
from guanxi.surveys.links import survey_token_read, survey_url
from guanxi.surveys.models import Answer, Invitation, Survey
from guanxi.surveys.selectors import survey_get

__all__ = [
    "InviteCount",
    "LinkRefused",
    "answer_submit",
    "invitation_for_link",
    "invitations_send",
    "invitations_to_segment",
    "invite_after",
    "invite_after_lapsed",
    "nps_group",
    "survey_texts_save",
]

log = logging.getLogger(__name__)

#: The most customers one send invites (a bounded request).
SEND_MAX = 20_000
#: The source of the timeline entries an answer writes.
TIMELINE_SOURCE = "survey"
NPS_TAGS = {
    NpsGroup.PROMOTER: "NPS·推荐者",
    NpsGroup.PASSIVE: "NPS·中立者",
    NpsGroup.DETRACTOR: "NPS·贬损者",
}
CSAT_POOR_TAG = "CSAT·不满意"
CHURN_TAGS = {
    ChurnReason.PRICE: "流失原因·价格",
    ChurnReason.SERVICE: "流失原因·服务",
    ChurnReason.PRODUCT: "流失原因·产品",
    ChurnReason.COMPETITOR: "流失原因·竞品",
    ChurnReason.NOT_NEEDED: "流失原因·不再需要",
    ChurnReason.OTHER: "流失原因·其他",
}


class LinkRefused(Exception):
    """A survey link that cannot be answered; ``message`` says why (shown
    to the customer as it is)."""

    def __init__(self, message: str, *, status: int = 410) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class InviteCount:
    """What a send did (or, dry, would do): invited, capped (asked within
    the cap period: counted, not sent) and the messages queued and
    suppressed by reason."""

    invited: int = 0
    capped: int = 0
    queued: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)

    def add(self, other: InviteCount) -> None:
        self.invited += other.invited
        self.capped += other.capped
        self.queued += other.queued
        for key, n in other.suppressed.items():
            self.suppressed[key] = self.suppressed.get(key, 0) + n


def nps_group(score: int) -> str:
    if score >= 9:
        return NpsGroup.PROMOTER
    if score >= 7:
        return NpsGroup.PASSIVE
    return NpsGroup.DETRACTOR


# --- texts ---------------------------------------------------------------


def survey_texts_save(
    *, actor: Any, kind: Any, values: dict[str, Any], active: bool | None = None
) -> Survey:
    """Set a survey's texts (``{"zh-hans.title": …, "en.question": …}``) and
    whether it is sent (admins only). Each text is one to ``TEXT_MAX``
    characters; the invitation must stay a valid message template. Bad input
    changes nothing."""
    if not policy_for(actor).may_administer:
        raise PermissionDenied(_("Only administrators may do this."))
    survey = survey_get(kind=kind)
    texts = {lang: dict(survey.texts.get(lang, {})) for lang in ("zh-hans", "en")}
    for name, value in values.items():
        language, _dot, key = str(name).partition(".")
        if language not in texts or key not in KEYS:
            raise ValidationFailed(
                _("Unknown text: %(name)s.") % {"name": str(name)[:64]}
            )
        text = str(value or "").replace("\r\n", "\n").strip()
        if len(text) > TEXT_MAX:
            raise ValidationFailed(
                _("A text has at most %(n)d characters.") % {"n": TEXT_MAX},
                field=str(name),
            )
        texts[language][key] = text
    for language, found in texts.items():
        if not found.get("invite_body", "").strip():
            raise ValidationFailed(
                _("The invitation needs a text."), field=f"{language}.invite_body"
            )
        if "survey_url" not in found.get("invite_body", ""):
            raise ValidationFailed(
                _("The invitation must hold the link: {{ survey_url }}."),
                field=f"{language}.invite_body",
            )
    with transaction.atomic():
        survey.texts = texts
        if active is not None:
            survey.active = active
        survey.updated_at = timezone.now()
        survey.updated_by = actor if getattr(actor, "pk", None) else None
        survey.save()
    return survey


# --- invitations -----------------------------------------------------------


def _template_text(survey: Survey, language: str) -> str:
    texts = survey.texts.get(language) or survey.texts.get("zh-hans") or {}
    body = str(texts.get("invite_body", ""))
    if survey.channel == "email":
        return f"Subject: {texts.get('invite_subject', '')}\n\n{body}"
    return body


def _capped(ids: list[int], now: dt.datetime) -> set[int]:
    """Customers asked within the cap period (any survey)."""
    since = now - dt.timedelta(days=int(settings.GUANXI_SURVEY_CAP_DAYS))
    found: set[int] = set()
    for start in range(0, len(ids), 1000):
        found.update(
            Invitation.objects.filter(
                customer_id__in=ids[start : start + 1000], created_at__gt=since
            ).values_list("customer_id", flat=True)
        )
    return found


def invitations_send(
    *,
    survey: Survey,
    customer_ids: Iterable[int],
    trigger: str,
    actor: Any = None,
    dry_run: bool = False,
    store: str = "",
    staff_id: int | None = None,
    now: dt.datetime | None = None,
) -> InviteCount:
    """Invite these customers to ``survey``: one invitation each with its own
    signed link, sent through messaging on the survey's channel and purpose.
    Customers asked within ``GUANXI_SURVEY_CAP_DAYS`` are counted as capped
    and not sent. ``dry_run``: the counts, nothing written."""
    if trigger not in Trigger.values:
        raise ValidationFailed(_("Unknown trigger."), field="trigger")
    now = now or timezone.now()
    wanted = sorted({int(pk) for pk in customer_ids})
    if len(wanted) > SEND_MAX:
        raise ValidationFailed(
            _("At most %(n)d customers are invited at once.") % {"n": SEND_MAX}
        )
    existing: dict[int, int | None] = {}
    spoken: dict[int, str] = {}  # each customer's language ("": the default)
    for start in range(0, len(wanted), 1000):
        for pk, manager_id, spoken_language in (
            customer_rows()
            .filter(pk__in=wanted[start : start + 1000])
            .values_list("pk", "assigned_manager_id", "language")
            .order_by()
        ):
            existing[pk] = manager_id
            spoken[pk] = spoken_language or ""
    ids = [pk for pk in wanted if pk in existing]
    capped = _capped(ids, now)
    invite = [pk for pk in ids if pk not in capped]
    count = InviteCount(invited=len(invite), capped=len(capped))
    if dry_run or not invite:
        return count
    expires = now + dt.timedelta(days=int(settings.GUANXI_SURVEY_LINK_DAYS))
    default = "en" if str(settings.LANGUAGE_CODE).startswith("en") else "zh-hans"
    has_english = bool((survey.texts.get("en") or {}).get("invite_body"))

    def language_of(pk: int) -> str:
        # The customer's language when the survey has a text in it.
        chosen = spoken.get(pk) or default
        return "en" if chosen == "en" and has_english else "zh-hans"

    with transaction.atomic():
        rows = Invitation.objects.bulk_create(
            [
                Invitation(
                    survey=survey,
                    customer_id=pk,
                    trigger=trigger,
                    language=language_of(pk),
                    nonce=secrets.token_hex(8),
                    store=store[:64],
                    staff_id=staff_id if staff_id is not None else existing[pk],
                    created_at=now,
                    expires_at=expires,
                )
                for pk in invite
            ],
            batch_size=1000,
        )
        if any(row.pk is None for row in rows):  # backends without RETURNING
            rows = list(
                Invitation.objects.filter(
                    survey=survey, customer_id__in=invite, created_at=now
                )
            )
        links = {
            row.customer_id: survey_url(
                invitation_id=row.pk, customer_id=row.customer_id, nonce=row.nonce
            )
            for row in rows
        }
        queued, messages = personal_send(
            channel=survey.channel,
            purpose=survey.purpose,
            template_text=_template_text(survey, "zh-hans"),
            other_text=_template_text(survey, "en") if has_english else "",
            language="zh-hans",
            links=links,
            audience=f"survey:{survey.kind}:{trigger}",
            actor=actor,
        )
        for row in rows:
            row.message_id = messages.get(row.customer_id)
        Invitation.objects.bulk_update(rows, ["message_id"], batch_size=1000)
    count.queued = queued.queued
    count.suppressed = dict(queued.suppressed)
    return count


def invite_after(
    trigger: str,
    customer_ids: Iterable[int],
    *,
    store: str = "",
    staff_id: int | None = None,
) -> InviteCount:
    """The hook other apps call when something happened (an order delivered,
    a ticket solved, an event attended, a customer lapsed): each active
    survey sent after ``trigger`` invites these customers (the cap keeps a
    customer from being asked twice)."""
    total = InviteCount()
    ids = sorted({int(pk) for pk in customer_ids})
    for survey in Survey.objects.filter(active=True).order_by("id"):
        if trigger not in (survey.triggers or []):
            continue
        try:
            # A large import's batch goes out in parts of at most SEND_MAX.
            for start in range(0, len(ids), SEND_MAX):
                total.add(
                    invitations_send(
                        survey=survey,
                        customer_ids=ids[start : start + SEND_MAX],
                        trigger=trigger,
                        store=store,
                        staff_id=staff_id,
                    )
                )
        except DomainError as error:
            # The cause (an order, a ticket) stands without its survey: the
            # channel not set up, a template an admin broke. Logged without
            # anyone's data; nothing of the refused part was written.
            log.warning(
                "survey %s after %s not sent to %d customers: %s",
                survey.kind,
                trigger,
                len(ids),
                error.message,
            )
            continue
    return total


def invite_after_lapsed(sender: Any, *, customer_id: int, **kwargs: Any) -> None:
    """Receiver of care's ``customer_lapsed``: ask why they left."""
    invite_after(Trigger.CUSTOMER_LAPSED, [customer_id])


def invitations_to_segment(
    *, actor: Any, kind: Any, segment: Any, dry_run: bool
) -> InviteCount:
    """Invite the members of a segment (in ``actor``'s scope) by hand; dry
    run first for the counts. Roles that may send broadcasts only."""
    if not policy_for(actor).may_send_broadcasts:
        raise PermissionDenied(_("your role may not send to a segment"))
    survey = survey_get(kind=kind)
    if not survey.active:
        raise ValidationFailed(_("This survey is switched off."))
    chosen = segment_get(pk=segment)
    members = segment_members(actor=actor, rules=chosen.rules)
    ids = list(members.values_list("pk", flat=True)[: SEND_MAX + 1])
    return invitations_send(
        survey=survey,
        customer_ids=ids,
        trigger=Trigger.MANUAL,
        actor=actor,
        dry_run=dry_run,
    )


# --- answers ---------------------------------------------------------------


def invitation_for_link(token: str, *, now: dt.datetime | None = None) -> Invitation:
    """The invitation of a link that may be answered now. ``NotFound`` for a
    token that is not ours; :class:`LinkRefused` (with the message the
    customer reads) when it was answered, is for another customer or has
    expired."""
    data = survey_token_read(token)
    if data is None:
        raise NotFound(_("No such survey."))
    invitation = (
        Invitation.objects.select_related("survey")
        .filter(pk=data.invitation_id)
        .first()
    )
    if invitation is None or not secrets.compare_digest(invitation.nonce, data.nonce):
        raise NotFound(_("No such survey."))
    if invitation.customer_id != data.customer_id:
        raise LinkRefused(
            _("This link was sent to someone else and cannot be used here."),
            status=403,
        )
    if invitation.answered_at is not None:
        raise LinkRefused(_("This survey has already been answered. Thank you!"))
    if (now or timezone.now()) >= invitation.expires_at:
        raise LinkRefused(_("This survey link has expired."))
    return invitation


ANSWER_TEXT_MAX = 1000


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > ANSWER_TEXT_MAX:
        raise ValidationFailed(
            _("Please keep each answer under %(n)d characters.")
            % {"n": ANSWER_TEXT_MAX},
            field=name,
        )
    if any(ord(c) < 32 and c not in "\n\t" for c in text) or "\x7f" in text:
        raise ValidationFailed(
            _("The answer holds characters we cannot keep."), field=name
        )
    return text


def _score(data: dict[str, Any], low: int, high: int) -> int:
    value = str(data.get("score", "") or "").strip()
    if not value.isdigit() or not low <= int(value) <= high:
        raise ValidationFailed(
            _("Choose a score from %(low)d to %(high)d.") % {"low": low, "high": high},
            field="score",
        )
    return int(value)


def _reasons(data: dict[str, Any]) -> list[str]:
    raw = data.get("reasons", [])
    values = [raw] if isinstance(raw, str) else list(raw or [])
    chosen = list(dict.fromkeys(str(v) for v in values))
    if not 1 <= len(chosen) <= 2 or any(v not in ChurnReason.values for v in chosen):
        raise ValidationFailed(_("Choose one or two reasons."), field="reasons")
    return chosen


def _parsed(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    if kind == SurveyKind.NPS:
        return {"score": _score(data, 0, 10), "text": _text(data, "text")}
    if kind == SurveyKind.CSAT:
        return {"score": _score(data, 1, 5), "text": _text(data, "text")}
    if kind == SurveyKind.CHURN:
        return {"reasons": _reasons(data), "text": _text(data, "text")}
    found = {
        name: _text(data, name) for name in ("scenario", "pain_points", "interests")
    }
    if not any(found.values()):
        raise ValidationFailed(_("Please answer at least one question."))
    return found


def _summary(answer: Answer) -> str:
    """The answer in words for the timeline (the business's language)."""
    parts = [f"{SurveyKind(answer.kind).label}"]
    if answer.score is not None:
        parts[0] += f" {answer.score}"
    if answer.reasons:
        parts.append(", ".join(str(ChurnReason(r).label) for r in answer.reasons))
    for text in (answer.text, answer.scenario, answer.pain_points, answer.interests):
        if text:
            parts.append(text)
    return "\n".join(parts)[:4000]


def _poor(answer: Answer) -> bool:
    if answer.score is None:
        return False
    if answer.kind == SurveyKind.NPS:
        return answer.score <= 6
    return answer.kind == SurveyKind.CSAT and answer.score <= 2


def _good(answer: Answer) -> bool:
    if answer.score is None:
        return False
    if answer.kind == SurveyKind.NPS:
        return answer.score >= 9
    return answer.kind == SurveyKind.CSAT and answer.score >= 4


def _tags(answer: Answer, now: dt.datetime) -> None:
    wanted: list[str] = []
    if answer.kind == SurveyKind.NPS and answer.score is not None:
        group = nps_group(answer.score)
        wanted.append(NPS_TAGS[NpsGroup(group)])
        system = everyone_actor()
        for other, name in NPS_TAGS.items():
            tag = tag_by_name(name) if other != group else None
            if tag is not None and not tag.automatic:
                customer_tag_remove(actor=system, customer=answer.customer_id, tag=tag)
    if answer.kind == SurveyKind.CSAT and _poor(answer):
        wanted.append(CSAT_POOR_TAG)
    wanted += [CHURN_TAGS[ChurnReason(r)] for r in answer.reasons]
    customer_tags_bulk_add(
        links=[(answer.customer_id, name) for name in wanted],
        source=TagSource.IMPORT,
        now=now,
    )


def _timeline(answer: Answer, now: dt.datetime) -> None:
    if _poor(answer):
        kind = InteractionKind.COMPLAINT
    elif _good(answer):
        kind = InteractionKind.REVIEW
    else:
        kind = InteractionKind.NOTE
    InteractionBulkWriter().insert(
        [
            (
                answer.customer_id, kind.value, now, "", _summary(answer),
                TIMELINE_SOURCE, f"answer-{answer.pk}",
            )
        ],
        now=now,
    )  # fmt: skip
    interactions_announce(customer_ids=[answer.customer_id], kinds=[kind.value])


def answer_submit(
    *,
    token: str,
    data: dict[str, Any],
    language: str = "",
    now: dt.datetime | None = None,
) -> Answer:
    """Record the answer to a link (see :func:`invitation_for_link` for the
    links refused) and act on it: tags, the timeline, a care task for a
    detractor or a poor CSAT. Bad input changes nothing (``ValidationFailed``
    with the message the customer reads)."""
    now = now or timezone.now()
    invitation = invitation_for_link(token, now=now)
    kind = invitation.survey.kind
    values = _parsed(kind, data)
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.answered_at is not None:  # two submits at once
            raise LinkRefused(_("This survey has already been answered. Thank you!"))
        locked.answered_at = now
        locked.save(update_fields=["answered_at"])
        answer = Answer.objects.create(
            invitation=locked,
            survey_id=locked.survey_id,
            customer_id=locked.customer_id,
            kind=kind,
            language=language if language in ("zh-hans", "en") else locked.language,
            answered_at=now,
            **values,
        )
        _tags(answer, now)
        _timeline(answer, now)
        if _poor(answer):
            warning_from_answer(
                customer_id=answer.customer_id,
                details={
                    "survey": kind,
                    "score": answer.score,
                    "answer": answer.pk,
                    "reason": answer.text[:300],
                },
                today=timezone.localdate(now),
            )
    return answer
