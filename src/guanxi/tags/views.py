"""Tag pages: the tag panel of the customer page (add and remove, with
autocomplete) and the tags settings page (coverage, the tag list, rename,
merge, colour, delete).

Each view parses the request, calls one service or selector and renders. The
panel answers htmx requests with the panel alone; a browser without JavaScript
posts the same forms and is sent back to the customer page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from guanxi.access.policies import policy_for
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.core.views import HtmxHttpRequest, domain_errors
from guanxi.customers.selectors import (
    customer_get,
    tag_by_name,
    tag_get,
    tag_search,
)
from guanxi.customers.services import (
    customer_tag_add,
    customer_tag_remove,
    tag_create,
    tag_delete,
    tag_merge,
    tag_update,
)
from guanxi.tags.panel import panel_context, preferences_context, settings_context

__all__ = [
    "customer_preferences_view",
    "customer_tag_add_view",
    "customer_tag_panel",
    "customer_tag_remove_view",
    "tag_create_view",
    "tag_delete_view",
    "tag_merge_view",
    "tag_settings",
    "tag_suggest",
    "tag_update_view",
]

PANEL = "tags/partials/customer_tags.html"


def _panel(
    request: HtmxHttpRequest, pk: int, *, error: str = "", status: int = 200
) -> HttpResponse:
    customer = customer_get(actor=request.user, pk=pk)
    context = panel_context(actor=request.user, customer_id=customer.pk)
    context["error"] = error
    return render(request, PANEL, context, status=status)


def _back_to_customer(pk: int) -> HttpResponse:
    return redirect(reverse("customers:customer-detail", args=[pk]), permanent=False)


@login_required
@require_GET
@domain_errors
def customer_tag_panel(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _panel(request, pk)


@login_required
@require_GET
@domain_errors
def customer_preferences_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The customer's purchase preferences (a partial the customer page loads)."""
    customer = customer_get(actor=request.user, pk=pk)
    chinese = (get_language() or "").startswith("zh")
    context = preferences_context(customer_id=customer.pk, chinese=chinese)
    return render(request, "tags/partials/customer_preferences.html", context)


@login_required
@require_POST
@vary_on_headers("HX-Request")
@domain_errors
def customer_tag_add_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Add a tag: ``tag`` (an id) or ``name`` (an existing tag's name, or a new
    manual tag's if the role may create tags)."""
    customer = customer_get(actor=request.user, pk=pk)
    tag_id = request.POST.get("tag")
    try:
        if tag_id:
            customer_tag_add(actor=request.user, customer=customer, tag=tag_id)
        else:
            customer_tag_add(
                actor=request.user,
                customer=customer,
                name=request.POST.get("name", ""),
            )
    except ValidationFailed as exc:
        if request.htmx:
            return _panel(request, customer.pk, error=exc.message)
        raise
    if request.htmx:
        return _panel(request, customer.pk)
    return _back_to_customer(customer.pk)


@login_required
@require_POST
@vary_on_headers("HX-Request")
@domain_errors
def customer_tag_remove_view(
    request: HtmxHttpRequest, pk: int, tag_pk: int
) -> HttpResponse:
    customer = customer_get(actor=request.user, pk=pk)
    try:
        customer_tag_remove(actor=request.user, customer=customer, tag=tag_pk)
    except ValidationFailed as exc:
        if request.htmx:
            return _panel(request, customer.pk, error=exc.message)
        raise
    if request.htmx:
        return _panel(request, customer.pk)
    return _back_to_customer(customer.pk)


@login_required
@require_GET
@domain_errors
def tag_suggest(request: HtmxHttpRequest) -> HttpResponse:
    """``<option>``s of the manual tags whose name contains ``?name=``."""
    if not policy_for(request.user).may_tag_customers:
        raise PermissionDenied(_("your role may not tag customers"))
    found = tag_search(text=request.GET.get("name", ""), limit=12)
    return render(request, "tags/partials/tag_options.html", {"found": found})


# --- the tags settings page --------------------------------------------------


def _manage_check(request: HtmxHttpRequest) -> None:
    if not policy_for(request.user).may_manage_tags:
        raise PermissionDenied(_("your role may not manage tags"))


@login_required
@require_GET
@domain_errors
def tag_settings(request: HtmxHttpRequest) -> HttpResponse:
    _manage_check(request)
    context = settings_context(actor=request.user, query=request.GET)
    return render(request, "tags/tag_settings.html", context)


def _done(request: HtmxHttpRequest, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(reverse("tags:tag-settings"))


def _form_error(request: HtmxHttpRequest, exc: ValidationFailed) -> HttpResponse:
    context = settings_context(actor=request.user, query=request.GET)
    context["form_error"] = exc.message
    return render(request, "tags/tag_settings.html", context, status=400)


@login_required
@require_POST
@domain_errors
def tag_create_view(request: HtmxHttpRequest) -> HttpResponse:
    _manage_check(request)
    try:
        tag = tag_create(
            actor=request.user,
            name=request.POST.get("name", ""),
            color=request.POST.get("color", ""),
        )
    except ValidationFailed as exc:
        return _form_error(request, exc)
    return _done(request, _("Tag “%(name)s” created.") % {"name": tag.name})


@login_required
@require_POST
@domain_errors
def tag_update_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    _manage_check(request)
    tag = tag_get(pk=pk)
    try:
        tag_update(
            actor=request.user,
            tag=tag,
            name=request.POST.get("name"),
            color=request.POST.get("color"),
        )
    except ValidationFailed as exc:
        return _form_error(request, exc)
    return _done(request, _("Tag “%(name)s” saved.") % {"name": tag.name})


@login_required
@require_POST
@domain_errors
def tag_merge_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    _manage_check(request)
    tag = tag_get(pk=pk)
    try:
        into_name = " ".join(request.POST.get("into", "").split())
        if not into_name:
            raise ValidationFailed(_("choose the tag to merge into"), field="into")
        into = tag_by_name(into_name)
        if into is None:
            raise ValidationFailed(_("unknown tag"), field="into")
        name = tag.name
        merged = tag_merge(actor=request.user, tag=tag, into=into)
    except ValidationFailed as exc:
        return _form_error(request, exc)
    return _done(
        request,
        _("“%(old)s” merged into “%(new)s”: %(n)s customers have it now.")
        % {"old": name, "new": merged.name, "n": f"{merged.customer_count:,}"},
    )


@login_required
@domain_errors
def tag_delete_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """GET: what deleting would do (how many customers have the tag); POST:
    delete."""
    _manage_check(request)
    tag = tag_get(pk=pk)
    if request.method != "POST":
        context: dict[str, Any] = {"tag": tag, "count": tag.customer_count}
        return render(request, "tags/tag_delete.html", context)
    try:
        name = tag.name
        had = tag_delete(actor=request.user, tag=tag)
    except ValidationFailed as exc:
        return _form_error(request, exc)
    return _done(
        request,
        _("Tag “%(name)s” deleted; %(n)s customers had it.")
        % {"name": name, "n": f"{had:,}"},
    )
