"""The coupon pages (admins and operations), mounted at ``coupons/``: the
definitions with their redemption rates, a definition's form, its issued
coupons by source, and issuing it to a segment (with a dry run count).

A view parses its input, calls one service or selector and renders; bad input
comes back as the page with its messages (status 400) and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from guanxi.access.policies import policy_for
from guanxi.core.errors import ValidationFailed
from guanxi.core.pagination import keyset_page
from guanxi.core.views import HtmxHttpRequest, domain_errors, query_without_cursor
from guanxi.coupons.forms import VALIDITY_DAYS, VALIDITY_FIXED, CouponDefinitionForm
from guanxi.coupons.models import CouponDefinition
from guanxi.coupons.selectors import (
    coupon_definition_get,
    coupon_definition_list,
    coupon_definition_name,
    coupon_rates_by_definition,
    coupon_rates_by_source,
    issued_coupon_list,
)
from guanxi.coupons.services import (
    coupon_definition_save,
    coupons_issue,
    coupons_manage_check,
)
from guanxi.customers.presenters import customer_ref
from guanxi.segments.selectors import segment_count, segment_list, segment_members

__all__ = [
    "definition_create",
    "definition_detail",
    "definition_edit",
    "definition_issue",
    "definition_list",
]

ISSUED_PER_PAGE = 50
#: The most customers one issue from this page reaches (a bounded request);
#: journeys issue to larger groups in the background.
WEB_ISSUE_LIMIT = 20_000


def _validity_text(definition: CouponDefinition) -> str:
    if definition.expires_on is not None:
        return _("until %(day)s") % {"day": definition.expires_on.isoformat()}
    return _("%(n)d days after issue") % {"n": definition.valid_days or 0}


def _value_text(definition: CouponDefinition) -> str:
    if definition.kind == "percent":
        return _("%(value)s %% off") % {"value": f"{definition.value.normalize():f}"}
    return _("¥%(value)s off") % {"value": f"{definition.value:.2f}"}


def _row(definition: CouponDefinition, rates: dict[int, Any]) -> dict[str, Any]:
    rate = rates.get(definition.pk)
    return {
        "definition": definition,
        "name": coupon_definition_name(definition),
        "value": _value_text(definition),
        "validity": _validity_text(definition),
        "issued": rate.issued if rate else 0,
        "redeemed": rate.redeemed if rate else 0,
        "rate": _percent(rate.rate if rate else None),
    }


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f} %"


@login_required
@require_GET
@domain_errors
def definition_list(request: HtmxHttpRequest) -> HttpResponse:
    coupons_manage_check(actor=request.user)
    rates = coupon_rates_by_definition(actor=request.user)
    rows = [_row(d, rates) for d in coupon_definition_list()]
    return render(request, "coupons/definition_list.html", {"rows": rows})


def _form_page(
    request: HtmxHttpRequest,
    *,
    definition: CouponDefinition | None,
    form: CouponDefinitionForm | None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    if form is not None:
        values = {k: form.data.get(k, "") for k in form.fields}
        values["active"] = bool(form.data.get("active"))
        errors = form.first_errors()
    elif definition is not None:
        values = {
            "slug": definition.slug,
            "name_zh": definition.name_zh,
            "name_en": definition.name_en,
            "kind": definition.kind,
            "value": f"{definition.value:.2f}",
            "minimum_spend": f"{definition.minimum_spend:.2f}",
            "validity": VALIDITY_FIXED if definition.expires_on else VALIDITY_DAYS,
            "valid_days": definition.valid_days or "",
            "expires_on": (
                definition.expires_on.isoformat() if definition.expires_on else ""
            ),
            "per_customer_limit": definition.per_customer_limit,
            "active": definition.active,
        }
        errors = {}
    else:
        values = {
            "kind": "amount",
            "validity": VALIDITY_DAYS,
            "valid_days": 30,
            "per_customer_limit": 1,
            "minimum_spend": "0.00",
            "active": True,
        }
        errors = {}
    context = {
        "definition": definition,
        "values": values,
        "errors": errors,
        "error": error,
        "kinds": CouponDefinitionForm.base_fields["kind"].choices,  # type: ignore[attr-defined]
        "validities": CouponDefinitionForm.base_fields["validity"].choices,  # type: ignore[attr-defined]
    }
    return render(request, "coupons/definition_form.html", context, status=status)


def _save(
    request: HtmxHttpRequest, definition: CouponDefinition | None
) -> HttpResponse:
    form = CouponDefinitionForm(request.POST)
    if not form.is_valid():
        return _form_page(request, definition=definition, form=form, status=400)
    try:
        saved = coupon_definition_save(
            actor=request.user, values=form.values(), definition=definition
        )
    except ValidationFailed as exc:
        if exc.field in form.fields:
            form.add_error(exc.field, exc.message)
            return _form_page(request, definition=definition, form=form, status=400)
        return _form_page(
            request, definition=definition, form=form, error=exc.message, status=400
        )
    messages.success(request, _("Coupon saved."))
    return redirect("coupons:definition-detail", saved.pk)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def definition_create(request: HtmxHttpRequest) -> HttpResponse:
    coupons_manage_check(actor=request.user)
    if request.method == "POST":
        return _save(request, None)
    return _form_page(request, definition=None, form=None)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def definition_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    coupons_manage_check(actor=request.user)
    definition = coupon_definition_get(pk=pk)
    if request.method == "POST":
        # Saved from a fresh copy: a refused form leaves the one shown intact.
        return _save(request, coupon_definition_get(pk=pk))
    return _form_page(request, definition=definition, form=None)


def _detail_context(
    request: HtmxHttpRequest, definition: CouponDefinition
) -> dict[str, Any]:
    policy = policy_for(request.user)
    page = keyset_page(
        issued_coupon_list(actor=request.user, definition=definition),
        keys=("issued_at", "id"),
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        per_page=ISSUED_PER_PAGE,
    )
    now = timezone.now()
    issued = [
        {
            "code": c.code,
            "customer": customer_ref(c.customer_id, policy=policy),
            "customer_url": (
                reverse("customers:customer-detail", args=[c.customer_id])
                if policy.knows_customer_numbers
                else ""
            ),
            "source": c.source,
            "issued_at": c.issued_at,
            "expires_at": c.expires_at,
            "state": _state(c, now),
        }
        for c in page.items
    ]
    sources = [
        {
            "source": source,
            "issued": rate.issued,
            "redeemed": rate.redeemed,
            "rate": _percent(rate.rate),
        }
        for source, rate in sorted(
            coupon_rates_by_source(actor=request.user, definition=definition).items()
        )
    ]
    total = coupon_rates_by_definition(actor=request.user).get(definition.pk)
    return {
        "definition": definition,
        "row": _row(definition, {definition.pk: total} if total else {}),
        "issued": issued,
        "page": page,
        "query": query_without_cursor(request),
        "base_url": reverse("coupons:definition-detail", args=[definition.pk]),
        "sources": sources,
        "segments": list(segment_list()),
    }


def _state(coupon: Any, now: dt.datetime) -> str:
    if coupon.redeemed_order_id is not None:
        return _("redeemed")
    if coupon.expires_at <= now:
        return _("expired")
    return _("open")


@login_required
@require_GET
@vary_on_headers("HX-Request")
@domain_errors
def definition_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    coupons_manage_check(actor=request.user)
    definition = coupon_definition_get(pk=pk)
    return render(
        request,
        "coupons/definition_detail.html",
        _detail_context(request, definition),
    )


@login_required
@require_POST
@domain_errors
def definition_issue(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Issue the coupon to a segment's members in the user's scope; with
    ``dry_run`` only count them. Issuing the same segment again the same day
    issues nothing twice."""
    coupons_manage_check(actor=request.user)
    definition = coupon_definition_get(pk=pk)
    context = _detail_context(request, definition)
    segment = next(
        (s for s in context["segments"] if str(s.pk) == request.POST.get("segment")),
        None,
    )
    context["chosen_segment"] = segment.pk if segment is not None else None
    if segment is None:
        context["issue_error"] = _("choose a segment")
        return render(request, "coupons/definition_detail.html", context, status=400)
    try:
        count = segment_count(actor=request.user, rules=segment.rules)
        if count > WEB_ISSUE_LIMIT:
            raise ValidationFailed(
                _(
                    "this segment has %(n)s customers; one issue from this page "
                    "reaches at most %(limit)s"
                )
                % {"n": f"{count:,}", "limit": f"{WEB_ISSUE_LIMIT:,}"}
            )
        if request.POST.get("dry_run"):
            context["dry_run"] = _(
                "%(n)s customers of this segment would get this coupon "
                "(those who hold it already or reached the limit are skipped)."
            ) % {"n": f"{count:,}"}
            return render(request, "coupons/definition_detail.html", context)
        ids = list(
            segment_members(actor=request.user, rules=segment.rules)
            .order_by()
            .values_list("pk", flat=True)[: WEB_ISSUE_LIMIT + 1]
        )
        result = coupons_issue(
            definition=definition,
            customer_ids=ids,
            source="staff",
            source_key=f"segment:{segment.pk}:{timezone.localdate().isoformat()}",
        )
    except ValidationFailed as exc:
        context["issue_error"] = exc.message
        return render(request, "coupons/definition_detail.html", context, status=400)
    messages.success(
        request,
        _(
            "Issued %(issued)s coupons; %(skipped)s customers were skipped "
            "(already issued today or at the limit)."
        )
        % {"issued": result.issued, "skipped": result.already + result.at_limit},
    )
    return redirect("coupons:definition-detail", definition.pk)
