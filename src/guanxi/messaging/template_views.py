"""Staff pages of stored templates and of sending one to an audience (mounted
at ``messages/``): the list, the editor with a live preview for a real
customer (htmx), delete, and the send screen with its dry-run counts and
confirmation.

Who may do what is the policy's: ``may_use_templates`` (the list and the
preview, the service templates only unless one writes templates),
``may_write_templates`` (create, change, delete) and ``may_send_broadcasts``
(the send screen). Customers of the preview are taken from the user's scope.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.access.policies import policy_for
from guanxi.core.errors import (
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from guanxi.core.views import HtmxHttpRequest, domain_errors
from guanxi.customers.selectors import customer_get
from guanxi.messaging.audiences import (
    MAX_SELECTED,
    SELECTED,
    Audience,
    audience_choices,
    audience_selected,
)
from guanxi.messaging.choices import MessageChannel, Purpose, SuppressReason
from guanxi.messaging.delivery import message_values
from guanxi.messaging.models import Template
from guanxi.messaging.rendering import SAMPLE, VARIABLES
from guanxi.messaging.services import (
    broadcast_preview,
    broadcast_send_stored,
    template_delete,
    template_save,
)
from guanxi.messaging.stored import (
    CHANNELS,
    FIELDS,
    TemplateFields,
    template_check,
    template_get,
    template_list,
    template_preview,
)

__all__ = [
    "send_page",
    "send_preview",
    "template_create_page",
    "template_delete_page",
    "template_edit_page",
    "template_list_page",
    "template_preview_panel",
]


def _user(request: Any) -> None:
    if not policy_for(request.user).may_use_templates:
        raise PermissionDenied(_("your role may not use message templates"))


def _writer(request: Any) -> None:
    if not policy_for(request.user).may_write_templates:
        raise PermissionDenied(_("your role may not change templates"))


def _sender(request: Any) -> None:
    if not policy_for(request.user).may_send_broadcasts:
        raise PermissionDenied(_("your role may not send to an audience"))


def _posted(request: Any) -> dict[str, str]:
    """The template's fields as the form holds them."""
    return {name: str(request.POST.get(name, ""))[:200_000] for name in FIELDS}


def _from_template(template: Template | None) -> dict[str, str]:
    if template is None:
        return {
            "name": "",
            "channel": MessageChannel.EMAIL,
            "purpose": Purpose.SERVICE,
            "subject_zh": "",
            "body_zh": "",
            "subject_en": "",
            "body_en": "",
        }
    return {name: getattr(template, name) for name in FIELDS}


def _choices() -> dict[str, Any]:
    labels = dict(MessageChannel.choices)
    return {
        "channels": [(c.value, labels[c.value]) for c in CHANNELS],
        "purposes": [(p, label) for p, label in Purpose.choices if p != "profiling"],
        "variables": VARIABLES,
    }


# --- the list ---------------------------------------------------------------------


@login_required
@domain_errors
def template_list_page(request: HtmxHttpRequest) -> HttpResponse:
    _user(request)
    policy = policy_for(request.user)
    return render(
        request,
        "messaging/template_list.html",
        {
            "templates": list(template_list(actor=request.user)[:500]),
            "may_write": policy.may_write_templates,
            "may_send": policy.may_send_broadcasts,
        },
    )


# --- the editor ---------------------------------------------------------------------


def _editor_page(
    request: Any,
    *,
    template: Template | None,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    policy = policy_for(request.user)
    context = {
        "template": template,
        "values": values,
        "errors": errors or {},
        "may_write": policy.may_write_templates,
        "knows_numbers": policy.knows_customer_numbers,
        "preview": _preview(request, values, customer_number=""),
        **_choices(),
    }
    return render(request, "messaging/template_form.html", context, status=status)


def _save(request: Any, template: Template | None) -> HttpResponse:
    try:
        saved = template_save(
            actor=request.user,
            fields=TemplateFields(**_posted(request)),
            template=template,
        )
    except ValidationFailed as error:
        return _editor_page(
            request,
            template=template,
            values=_posted(request),
            errors={error.field or "name": error.message},
            status=400,
        )
    messages.success(request, _("Template “%(name)s” saved.") % {"name": saved.name})
    return redirect("message-templates:template-edit", pk=saved.pk)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def template_create_page(request: HtmxHttpRequest) -> HttpResponse:
    _writer(request)
    if request.method == "POST":
        return _save(request, None)
    return _editor_page(request, template=None, values=_from_template(None))


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def template_edit_page(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The editor (read only for roles that use but do not write templates)."""
    _user(request)
    template = template_get(actor=request.user, pk=pk)
    if request.method == "POST":
        _writer(request)
        return _save(request, template)
    return _editor_page(request, template=template, values=_from_template(template))


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def template_delete_page(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    _user(request)
    template = template_get(actor=request.user, pk=pk)
    _writer(request)
    if request.method == "POST":
        template_delete(actor=request.user, template=template)
        messages.success(
            request, _("Template “%(name)s” deleted.") % {"name": template.name}
        )
        return redirect("message-templates:template-list")
    return render(request, "messaging/template_delete.html", {"template": template})


# --- the preview ----------------------------------------------------------------------


def _customer_values(request: Any, number: str) -> tuple[Any, dict[str, str], str]:
    """The customer picked by number (in the user's scope), their values and
    how the page names them; no number: the sample values."""
    if not number:
        return None, dict(SAMPLE), ""
    # By number, in scope: a role that knows customers by pseudonym only is
    # answered as if there were no such customer (customer_get).
    customer = customer_get(actor=request.user, pk=number)
    return customer, message_values(customer), str(customer.pk)


def _preview(request: Any, values: dict[str, str], *, customer_number: str) -> Any:
    """The preview panel's context: the error of the text as it stands, or
    each language version rendered for the customer."""
    fields = TemplateFields(**values)
    try:
        checked = template_check(fields)
    except ValidationFailed as error:
        return {"error": error.message, "customer_number": customer_number}
    try:
        customer, shown_values, who = _customer_values(request, customer_number)
    except NotFound:
        return {
            "customer_error": _("No customer %(number)s among your customers.")
            % {"number": customer_number[:20]},
            "customer_number": customer_number,
        }
    unsaved = Template(**{name: getattr(checked, name) for name in FIELDS})
    return {
        "versions": template_preview(unsaved, values=shown_values, customer=customer),
        "who": who,
        "customer_number": customer_number,
        "is_sms": unsaved.channel == MessageChannel.SMS,
        "is_email": unsaved.channel == MessageChannel.EMAIL,
    }


@login_required
@require_POST
@domain_errors
def template_preview_panel(request: HtmxHttpRequest) -> HttpResponse:
    """The preview of the form's text for the customer number given (htmx)."""
    _user(request)
    values = _posted(request)
    number = str(request.POST.get("customer", "")).strip()[:20]
    return render(
        request,
        "messaging/partials/template_preview.html",
        {"preview": _preview(request, values, customer_number=number)},
    )


# --- sending to an audience -------------------------------------------------------


#: The most customers the send screen queues in one request; more is the
#: command line's work (``guanxi send --template-name``).
SEND_PAGE_MAX = 20_000


def _send_choice(request: Any) -> tuple[Template | None, str, list[str]]:
    """The template, the audience and the customers ticked on the list (their
    numbers as posted; one more than the most allowed is enough to refuse)."""
    source = request.POST if request.method == "POST" else request.GET
    pk = str(source.get("template", "")).strip()
    ticked = [str(v)[:20] for v in source.getlist("ids")[: MAX_SELECTED + 1]]
    audience = str(source.get("audience", SELECTED if ticked else "all"))[:200]
    template = template_get(actor=request.user, pk=pk) if pk else None
    return template, audience, ticked


def _selected(request: Any, audience: str, ticked: list[str]) -> Audience | None:
    """The ticked customers when they are the audience (checked: at most
    MAX_SELECTED, all in the user's scope), else None."""
    if audience != SELECTED:
        return None
    return audience_selected(actor=request.user, ids=ticked)


def _counts(
    request: Any, template: Template | None, audience: str, ticked: list[str]
) -> dict[str, Any]:
    if template is None:
        return {"error": _("Choose a template.")}
    try:
        count = broadcast_preview(
            template=template,
            audience=audience,
            limit=SEND_PAGE_MAX,
            selected=_selected(request, audience, ticked),
        )
    except ValidationFailed as error:
        return {"error": error.message}
    labels = dict(SuppressReason.choices)
    suppressed = [
        {"reason": reason, "label": labels.get(reason, reason), "n": n}
        for reason, n in sorted(count.suppressed.items())
    ]
    # Each version with how many of those queued get it (their language, or
    # the one the template has).
    sample = [
        dataclasses.replace(v, customers=count.languages.get(v.language, 0))
        for v in template_preview(template, values=dict(SAMPLE))
    ]
    return {
        "queued": count.queued,
        "suppressed": suppressed,
        "suppressed_total": sum(count.suppressed.values()),
        "total": count.queued + sum(count.suppressed.values()),
        "versions": sample,
        "is_sms": template.channel == MessageChannel.SMS,
        "is_email": template.channel == MessageChannel.EMAIL,
    }


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def send_page(request: HtmxHttpRequest) -> HttpResponse:
    """GET: choose; POST ``step=review``: the confirmation with the counts;
    POST ``step=confirm``: queue, then back here with what was queued."""
    _sender(request)
    template, audience, ticked = _send_choice(request)
    step = request.POST.get("step", "") if request.method == "POST" else ""
    context: dict[str, Any] = {
        "templates": list(template_list(actor=request.user)[:500]),
        "audiences": audience_choices(selected=len(ticked)),
        "chosen": template,
        "audience": audience,
        "ticked": ticked,
    }
    if step == "confirm":
        if template is None:
            raise ValidationFailed(_("Choose a template."))
        try:
            selected = _selected(request, audience, ticked)
            count = broadcast_send_stored(
                template=template,
                audience=f"{SELECTED}:{len(ticked)}" if selected else audience,
                actor=request.user,
                limit=SEND_PAGE_MAX,
                selected=selected,
            )
        except DomainError as error:
            context["counts"] = {"error": error.message}
            return render(request, "messaging/send.html", context, status=400)
        messages.success(
            request,
            _("Queued %(queued)d messages; %(suppressed)d suppressed.")
            % {"queued": count.queued, "suppressed": sum(count.suppressed.values())},
        )
        return redirect("message-templates:send")
    if audience == SELECTED:
        _selected(request, audience, ticked)  # refused at once, not only counted
    context["counts"] = (
        _counts(request, template, audience, ticked) if template else None
    )
    if step == "review":
        ok = template is not None and "error" not in context["counts"]
        return render(
            request,
            "messaging/send_confirm.html" if ok else "messaging/send.html",
            context,
            status=200 if ok else 400,
        )
    return render(request, "messaging/send.html", context)


@login_required
@require_POST
@domain_errors
def send_preview(request: HtmxHttpRequest) -> HttpResponse:
    """The counts and the sample text of the choice as it stands (htmx)."""
    _sender(request)
    template, audience, ticked = _send_choice(request)
    return render(
        request,
        "messaging/partials/send_counts.html",
        {"counts": _counts(request, template, audience, ticked) if template else None},
    )
