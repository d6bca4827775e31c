"""Customer pages that write: create and edit a customer (with the warning,
before saving, that a phone number or email address is already another
customer's) and assign the account manager.

Each view parses the form, calls one service and renders: the rules (who may
change which field, normalisation, one customer per phone and email) are the
services', so the form says exactly what the import and the API say.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.access.policies import Policy, policy_for
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.core.normalize import normalize_email, normalize_phone
from guanxi.core.views import HtmxHttpRequest, domain_errors
from guanxi.customers.choices import Channel, Gender, Language
from guanxi.customers.models import Customer
from guanxi.customers.presenters import customer_card
from guanxi.customers.selectors import (
    assignable_managers,
    contact_search_count,
    customer_get,
    customer_scope,
)
from guanxi.customers.services import (
    CONTACT_FIELDS,
    ContactTaken,
    contact_owners,
    customer_assign,
    customer_create,
    customer_update,
)

__all__ = [
    "contact_check",
    "customer_actions",
    "customer_assign_view",
    "customer_create_view",
    "customer_edit",
]

FORM = "customers/customer_form.html"
TEXT_FIELDS = ("name", "phone", "email", "address", "birthday", "city")
CHOICE_FIELDS = ("gender", "preferred_channel", "language", "time_zone")
#: Offered while typing a time zone (any IANA name is accepted).
COMMON_TIME_ZONES = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Sydney",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Los_Angeles",
    "America/Vancouver",
)


def _fields_for(policy: Policy) -> tuple[str, ...]:
    """The fields the role's form offers (contact fields only to roles that
    see them in full: a masked value cannot be overwritten)."""
    fields = TEXT_FIELDS + CHOICE_FIELDS
    if policy.may_edit_contact_fields:
        return fields
    return tuple(f for f in fields if f not in CONTACT_FIELDS)


def _posted(request: HtmxHttpRequest, fields: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {f: request.POST.get(f, "") for f in fields}
    if values.get("birthday") == "":
        values["birthday"] = None
    return values


def _owner_notice(*, actor: Any, field: str, owner_pk: int) -> dict[str, Any] | None:
    """What the form says about the customer who already has this phone or
    email: a link to them for a user who may see them; nothing otherwise (an
    account manager must not learn that another manager's customer has this
    number: saving it answers neutrally, see ``customers.services``)."""
    policy = policy_for(actor)
    visible = (
        policy.knows_customer_numbers
        and customer_scope(actor=actor).filter(pk=owner_pk).exists()
    )
    if not visible:
        return None
    owner = customer_get(actor=actor, pk=owner_pk)
    card = customer_card(owner, policy=policy, tags=[])
    return {
        "field": field,
        "url": owner.get_absolute_url(),
        "label": f"#{owner.pk} {card.get('name') or ''}".strip(),
    }


def _duplicates(
    *, actor: Any, phone: str, email: str, exclude_pk: int | None, counted: bool = False
) -> list[dict[str, Any]]:
    """Notices for the phone and email (as typed) that are another customer's
    whom ``actor`` may see. ``counted``: the lookup counts as an exact search
    by contact value (the check while typing; see ``contact_search_count``)."""
    normal: dict[str, str | None] = {"phone": None, "email": None}
    for field, value, parse in (
        ("phone", phone, normalize_phone),
        ("email", email, normalize_email),
    ):
        # A value that is not a phone or email yet: the form says what is
        # wrong with it when saving.
        if value.strip():
            with contextlib.suppress(ValidationFailed):
                normal[field] = parse(value)
    if counted and (normal["phone"] or normal["email"]):
        contact_search_count(actor=actor, kind="phone" if normal["phone"] else "email")
    owners = contact_owners(
        phone=normal["phone"], email=normal["email"], exclude_pk=exclude_pk
    )
    notices = [
        _owner_notice(actor=actor, field=field, owner_pk=pk)
        for field, pk in owners.items()
    ]
    return [n for n in notices if n is not None]


def _render_form(
    request: HtmxHttpRequest,
    *,
    customer: Customer | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    error: str = "",
    duplicates: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> HttpResponse:
    policy = policy_for(request.user)
    context = {
        "customer": customer,
        "card": customer_card(customer, policy=policy, tags=[]) if customer else None,
        "values": values,
        "errors": errors or {},
        "error": error,
        "duplicates": duplicates or [],
        "fields": _fields_for(policy),
        "contact_fields": CONTACT_FIELDS,
        # "Unknown" and "None" first: the form's default is to say nothing.
        "genders": sorted(Gender.choices, key=lambda c: c[0] != ""),
        "channels": sorted(Channel.choices, key=lambda c: c[0] != ""),
        "customer_languages": sorted(Language.choices, key=lambda c: c[0] != ""),
        "business_time_zone": settings.TIME_ZONE,
        "common_time_zones": COMMON_TIME_ZONES,
    }
    return render(request, FORM, context, status=status)


def _save(request: HtmxHttpRequest, *, customer: Customer | None) -> HttpResponse:
    fields = _fields_for(policy_for(request.user))
    values = _posted(request, fields)
    try:
        if customer is None:
            saved = customer_create(actor=request.user, **values)
            messages.success(request, _("Customer #%(id)s created.") % {"id": saved.pk})
        else:
            saved = customer_update(actor=request.user, customer=customer, **values)
            messages.success(request, _("Customer saved."))
    except ValidationFailed as exc:
        duplicates = []
        if isinstance(exc, ContactTaken):
            duplicates = _duplicates(
                actor=request.user,
                phone=str(values.get("phone") or ""),
                email=str(values.get("email") or ""),
                exclude_pk=customer.pk if customer else None,
            )
        errors = {exc.field: exc.message} if exc.field else {}
        summary = _("Nothing was saved: correct the marked field.")
        return _render_form(
            request,
            customer=customer,
            values=_posted(request, fields),
            errors=errors,
            error=(
                summary
                if exc.field
                else _("Nothing was saved: %(why)s") % {"why": exc.message}
            ),
            duplicates=duplicates,
            status=400,
        )
    return redirect(saved.get_absolute_url())


def _may_edit(request: HtmxHttpRequest) -> None:
    if not policy_for(request.user).may_edit_customers:
        raise PermissionDenied(_("your role may not edit customers"))


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def customer_create_view(request: HtmxHttpRequest) -> HttpResponse:
    _may_edit(request)
    if request.method == "POST":
        return _save(request, customer=None)
    return _render_form(request, customer=None, values={})


def _current_values(customer: Customer, policy: Policy) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": customer.name or "",
        "city": customer.city,
        "gender": customer.gender,
        "preferred_channel": customer.preferred_channel,
        "language": customer.language,
        "time_zone": customer.time_zone,
    }
    if policy.may_edit_contact_fields:
        values |= {
            "phone": customer.phone or "",
            "email": customer.email or "",
            "address": customer.address or "",
            "birthday": customer.birthday.isoformat() if customer.birthday else "",
        }
    return values


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def customer_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    customer = customer_get(actor=request.user, pk=pk)
    _may_edit(request)
    if request.method == "POST":
        return _save(request, customer=customer)
    values = _current_values(customer, policy_for(request.user))
    return _render_form(request, customer=customer, values=values)


@login_required
@require_GET
@domain_errors
def contact_check(request: HtmxHttpRequest) -> HttpResponse:
    """The warning under the form's phone and email fields while typing: who
    already has this number or address (``?customer=`` is the one edited)."""
    if not policy_for(request.user).may_edit_contact_fields:
        raise PermissionDenied(_("your role may not change contact fields"))
    editing = request.GET.get("customer", "")
    exclude = None
    if editing:
        exclude = customer_get(actor=request.user, pk=editing).pk
    duplicates = _duplicates(
        actor=request.user,
        phone=request.GET.get("phone", "")[:64],
        email=request.GET.get("email", "")[:320],
        exclude_pk=exclude,
        counted=True,
    )
    return render(
        request, "customers/partials/contact_warning.html", {"duplicates": duplicates}
    )


@login_required
@require_POST
@domain_errors
def customer_assign_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Make ``manager`` (an account manager's id; empty: nobody) the customer's
    account manager."""
    customer = customer_get(actor=request.user, pk=pk)
    if not policy_for(request.user).may_assign_manager:
        raise PermissionDenied(_("your role may not assign account managers"))
    wanted = request.POST.get("manager", "")
    manager = None
    if wanted:
        manager = assignable_managers().filter(pk=_int(wanted)).first()
        if manager is None:
            messages.error(request, _("choose an account manager from the list"))
            return redirect(customer.get_absolute_url())
    customer_assign(actor=request.user, customer=customer, manager=manager)
    if manager is None:
        messages.success(request, _("The customer has no account manager now."))
    else:
        messages.success(
            request,
            _("%(name)s is now the account manager.")
            % {"name": manager.get_username()},
        )
    return redirect(customer.get_absolute_url())


def _int(text: str) -> int:
    return int(text) if text.isdigit() and len(text) < 19 else 0


def customer_actions(*, actor: Any, customer: Customer) -> dict[str, Any]:
    """What the customer page offers ``actor`` besides reading: edit, assign
    (with the account managers to choose from), log an activity."""
    from guanxi.customers.activity_views import activity_form_context

    policy = policy_for(actor)
    return {
        "may_edit": policy.may_edit_customers,
        "may_assign": policy.may_assign_manager,
        "managers": list(assignable_managers()) if policy.may_assign_manager else [],
        "manager_id": customer.assigned_manager_id,
        "activity": {"kind": "call"},
        **activity_form_context(actor=actor),
    }
