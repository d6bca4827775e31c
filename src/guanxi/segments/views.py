"""Segment pages: the list, a segment with its members and share over time, the
visual builder (create and edit, htmx), delete and export.

Members and counts come from the selectors, in the viewer's scope; members are
printed through the customers' list row (``customer_list_row``), so a role sees
a member exactly as on the customer list. Who may change segments is the
policy's ``may_edit_segments``; who may export, the export's own rules.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from guanxi.access.policies import policy_for
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.pagination import keyset_page
from guanxi.core.views import (
    HtmxHttpRequest,
    domain_errors,
    page_or_fragment,
    url_maker,
)
from guanxi.customers.presenters import customer_list_row
from guanxi.customers.selectors import PSEUDONYM_KEYS
from guanxi.exports.services import export_check, export_run
from guanxi.insights.selectors import followups_pending, latest_as_of, latest_run
from guanxi.segments.builder import (
    Node,
    apply_action,
    default_rule,
    node_from_form,
    node_from_rules,
    rules_from_node,
)
from guanxi.segments.forms import builder_context, builder_options, rules_text
from guanxi.segments.models import Segment
from guanxi.segments.rules import EVERYONE, rules_check, uses_scores
from guanxi.segments.selectors import (
    members_are_sparse,
    segment_count,
    segment_customers_total,
    segment_get,
    segment_history,
    segment_latest_counts,
    segment_list,
    segment_members,
)
from guanxi.segments.services import (
    segment_create,
    segment_delete,
    segment_rules_check,
    segment_update,
)

__all__ = [
    "segment_builder",
    "segment_create_page",
    "segment_delete_page",
    "segment_detail",
    "segment_edit_page",
    "segment_export",
    "segment_list_page",
    "segment_preview",
]

MEMBERS_PER_PAGE = 50
PREVIEW_MEMBERS = 10


def _rows(request: Any, customers: list[Any]) -> list[dict[str, Any]]:
    policy = policy_for(request.user)
    url = (
        url_maker("customers:customer-detail")
        if policy.knows_customer_numbers
        else None
    )
    return [customer_list_row(c, policy=policy, url=url) for c in customers]


def _editor(request: Any) -> None:
    if not policy_for(request.user).may_edit_segments:
        raise PermissionDenied(_("your role may not change segments"))


# --- list and detail -------------------------------------------------------------


@login_required
@domain_errors
def segment_list_page(request: HtmxHttpRequest) -> HttpResponse:
    policy = policy_for(request.user)
    segments = list(segment_list()) if policy.active else []
    run = latest_run()
    day = run.as_of if run is not None else None
    counts = segment_latest_counts(actor=request.user, segments=segments, as_of=day)
    rows = [{"segment": s, "share": counts.get(s.pk)} for s in segments]
    return render(
        request,
        "segments/segment_list.html",
        {
            "rows": rows,
            "may_edit": policy.may_edit_segments,
            "as_of": day,
            "tags_behind": followups_pending(run),
        },
    )


@login_required
@vary_on_headers("HX-Request")
@domain_errors
def segment_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    policy = policy_for(request.user)
    if not policy.active:
        raise NotFound(_("segment not found"))
    segment = segment_get(pk=pk)
    run = latest_run()
    day = run.as_of if run is not None else None
    count = segment_count(actor=request.user, rules=segment.rules, as_of=day)
    total = segment_customers_total(actor=request.user)
    members = segment_members(
        actor=request.user,
        rules=segment.rules,
        as_of=day,
        sparse=members_are_sparse(
            count=count, customers=total, rules=_checked_or_everyone(segment.rules)
        ),
    )
    # By pseudonym for roles that know customers by it (see customer_sorted).
    keys = ("id",) if policy.knows_customer_numbers else PSEUDONYM_KEYS
    page = keyset_page(
        members.prefetch_related("tags"),
        keys=keys,
        descending=policy.knows_customer_numbers,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        per_page=MEMBERS_PER_PAGE,
        count=count,
    )
    context: dict[str, Any] = {
        "segment": segment,
        "rows": _rows(request, page.items),
        "page": page,
        "query": "",
        "pseudonymous": policy.pseudonymous,
        "rows_target": "#segment-members",
        "rows_url": segment.get_absolute_url(),
    }
    template = page_or_fragment(
        request,
        page="segments/segment_detail.html",
        fragment="customers/partials/customer_rows.html",
    )
    if template != "segments/segment_detail.html":
        return render(request, template, context)
    history = segment_history(actor=request.user, segment=segment)
    context.update(
        count=count,
        total=total,
        percent=round(100 * count / total, 1) if total else 0.0,
        scored=uses_scores(_checked_or_everyone(segment.rules)),
        as_of=day,
        tags_behind=followups_pending(run),
        chart={
            "dates": [h.as_of.isoformat() for h in history if h.as_of],
            "shares": [h.percent for h in history],
            "members": [h.members for h in history],
            "labels": {"share": _("Share of customers (%)"), "members": _("Members")},
        },
        may_edit=policy.may_edit_segments,
        may_export=policy.may_export,
        rules_text=rules_text(_checked_or_everyone(segment.rules), builder_options()),
    )
    return render(request, "segments/segment_detail.html", context)


def _checked_or_everyone(rules: Any) -> dict[str, Any]:
    """The stored rules normalised, or every customer's tree when they cannot
    run (counting them has already said why)."""
    try:
        return rules_check(rules, lookups=None)
    except ValidationFailed:
        return EVERYONE


# --- the builder -------------------------------------------------------------------


def _preview(request: Any, rules: dict[str, Any]) -> dict[str, Any]:
    """The live count and first members of unsaved rules, or the rule's error."""
    try:
        checked = segment_rules_check(rules)
    except ValidationFailed as exc:
        return {"error": exc.message}
    day = latest_as_of()
    count = segment_count(actor=request.user, rules=checked, as_of=day)
    total = segment_customers_total(actor=request.user)
    sparse = members_are_sparse(count=count, customers=total, rules=checked)
    first = list(
        segment_members(actor=request.user, rules=checked, as_of=day, sparse=sparse)
        .prefetch_related("tags")
        .order_by("-id")[:PREVIEW_MEMBERS]
    )
    policy = policy_for(request.user)
    return {
        "count": count,
        "total": total,
        "percent": round(100 * count / total, 1) if total else 0.0,
        "rows": _rows(request, first),
        "pseudonymous": policy.pseudonymous,
        "rows_without_pager": True,
        "scored": uses_scores(checked),
        "no_run": uses_scores(checked) and day is None,
    }


def _page(
    request: Any,
    *,
    segment: Segment | None,
    root: Node,
    name: str,
    description: str,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    options = builder_options()
    context = {
        "segment": segment,
        "name": name,
        "description": description,
        "errors": errors or {},
        "builder": builder_context(root, options),
        "preview": _preview(request, rules_from_node(root)),
    }
    return render(request, "segments/segment_form.html", context, status=status)


def _save(
    request: Any, segment: Segment | None
) -> tuple[Segment | None, dict[str, str], Node]:
    root = node_from_form(request.POST, tags=builder_options().tag_ids)
    name = request.POST.get("name", "")
    description = request.POST.get("description", "")
    try:
        if segment is None:
            saved = segment_create(
                actor=request.user,
                name=name,
                description=description,
                rules=rules_from_node(root),
            )
        else:
            saved = segment_update(
                actor=request.user,
                segment=segment,
                name=name,
                description=description,
                rules=rules_from_node(root),
            )
    except ValidationFailed as exc:
        return None, {exc.field or "rules": exc.message}, root
    return saved, {}, root


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def segment_create_page(request: HtmxHttpRequest) -> HttpResponse:
    _editor(request)
    if request.method == "POST":
        saved, errors, root = _save(request, None)
        if saved is not None:
            messages.success(request, _("Segment saved."))
            return redirect(saved.get_absolute_url())
        return _page(
            request,
            segment=None,
            root=root,
            name=request.POST.get("name", "")[:200],
            description=request.POST.get("description", "")[:4000],
            errors=errors,
            status=400,
        )
    root = Node(kind="all", children=[default_rule(tags=builder_options().tag_ids)])
    return _page(request, segment=None, root=root, name="", description="")


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def segment_edit_page(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    _editor(request)
    segment = segment_get(pk=pk)
    if request.method == "POST":
        saved, errors, root = _save(request, segment)
        if saved is not None:
            messages.success(request, _("Segment saved."))
            return redirect(saved.get_absolute_url())
        return _page(
            request,
            segment=segment,
            root=root,
            name=request.POST.get("name", "")[:200],
            description=request.POST.get("description", "")[:4000],
            errors=errors,
            status=400,
        )
    return _page(
        request,
        segment=segment,
        root=node_from_rules(segment.rules),
        name=segment.name,
        description=segment.description,
    )


@login_required
@require_POST
@domain_errors
def segment_builder(request: HtmxHttpRequest) -> HttpResponse:
    """The builder again after a change of structure (a field, an operator, a
    group's kind, a rule or group added or removed), with the live count."""
    _editor(request)
    options = builder_options()
    root = node_from_form(request.POST, tags=options.tag_ids)
    action = request.POST.get("action", "")
    if action:
        root = apply_action(root, action[:64], tags=options.tag_ids)
    context = {
        "builder": builder_context(root, options),
        "preview": _preview(request, rules_from_node(root)),
        "oob": True,
    }
    return render(request, "segments/partials/builder_response.html", context)


@login_required
@require_POST
@domain_errors
def segment_preview(request: HtmxHttpRequest) -> HttpResponse:
    """The live count and first members of the rules as the form holds them."""
    _editor(request)
    root = node_from_form(request.POST)
    context = {"preview": _preview(request, rules_from_node(root))}
    return render(request, "segments/partials/preview_response.html", context)


# --- delete and export -----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def segment_delete_page(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    _editor(request)
    segment = segment_get(pk=pk)
    if request.method == "POST":
        segment_delete(actor=request.user, segment=segment)
        messages.success(
            request, _("Segment “%(name)s” deleted.") % {"name": segment.name}
        )
        return redirect("segments:segment-list")
    return render(request, "segments/segment_delete.html", {"segment": segment})


_CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@login_required
@require_POST
@domain_errors
def segment_export(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The segment's members through the customer export (its columns, masking
    and record), as a file."""
    if not policy_for(request.user).active:
        raise NotFound(_("segment not found"))
    segment = segment_get(pk=pk)
    fmt = request.POST.get("format", "csv")
    export_check(kind="customers", fmt=fmt, actor=request.user)
    members = segment_members(actor=request.user, rules=segment.rules)
    name = f"segment-{segment.pk}-{dt.date.today().isoformat()}.{fmt}"
    # Written to a file first: a failed export answers with its message, not
    # with half a download.
    fd, path = tempfile.mkstemp(prefix="guanxi-segment-export-")
    try:
        if fmt == "xlsx":
            with os.fdopen(fd, "wb") as fh:
                _export(request, segment, members, fmt, fh)
        else:
            encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
            with os.fdopen(fd, "w", encoding=encoding, newline="") as fh:
                _export(request, segment, members, fmt, fh)
        handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    finally:
        os.unlink(path)
    response = FileResponse(
        handle, as_attachment=True, filename=name, content_type=_CONTENT_TYPES[fmt]
    )
    # A streamed file: the edge helpers are typed for plain responses.
    return cast(HttpResponse, response)


def _export(request: Any, segment: Segment, members: Any, fmt: str, out: Any) -> None:
    export_run(
        kind="customers",
        fmt=fmt,
        actor=request.user,
        out=out,
        destination=f"web download (segment {segment.pk})",
        within=members,
    )
