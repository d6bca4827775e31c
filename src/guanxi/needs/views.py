"""The needs list pages, mounted at ``needs/``: the ranked list, a need's
page (example texts, trend, status, merge, closing the loop).

A view parses its input, calls one service or selector and renders; bad
input comes back as the page with its message (status 400) and changes
nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from guanxi.access.policies import policy_for
from guanxi.core.errors import ValidationFailed
from guanxi.core.views import domain_errors
from guanxi.needs.choices import NeedOrder, NeedStatus, TextSource
from guanxi.needs.models import Need
from guanxi.needs.presenters import need_examples, need_row
from guanxi.needs.selectors import (
    mining_run_latest,
    need_get,
    need_list,
    need_mentions,
    need_notice_count,
    need_synonyms,
)
from guanxi.needs.services import (
    CLOSE_CHANNELS,
    LoopCount,
    need_loop_close,
    need_loop_preview,
    need_loop_texts,
    need_merge,
    need_status_set,
    needs_may_work,
    needs_read_check,
)

__all__ = ["need_detail", "need_loop", "need_merge_view", "need_status", "needs_list"]

PAGE_SIZE = 50
EXAMPLES = 20


def _page(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1


@login_required
@require_GET
@domain_errors
def needs_list(request: HttpRequest) -> HttpResponse:
    needs_read_check(actor=request.user)
    order = request.GET.get("order", NeedOrder.CUSTOMERS)
    if order not in NeedOrder.values:
        order = NeedOrder.CUSTOMERS
    status = request.GET.get("status", "")
    if status not in NeedStatus.values:
        status = ""
    page = _page(request.GET.get("page"))
    start = (page - 1) * PAGE_SIZE
    found = list(need_list(order=order, status=status)[start : start + PAGE_SIZE + 1])
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "needs/list.html",
        {
            "rows": [need_row(n) for n in found[:PAGE_SIZE]],
            "page": page,
            "more": len(found) > PAGE_SIZE,
            "query": params.urlencode(),
            "order": order,
            "status": status,
            "orders": NeedOrder.choices,
            "statuses": NeedStatus.choices,
            "run": mining_run_latest(),
        },
    )


def _detail(
    request: HttpRequest,
    need: Need,
    *,
    error: str = "",
    preview: LoopCount | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    policy = policy_for(request.user)
    source = request.GET.get("source", "")
    if source not in TextSource.values:
        source = ""
    page = _page(request.GET.get("page"))
    start = (page - 1) * EXAMPLES
    mentions = list(
        need_mentions(need=need, source=source, policy=policy)[
            start : start + EXAMPLES + 1
        ]
    )
    row = need_row(need)
    texts = need_loop_texts(need)
    return render(
        request,
        "needs/detail.html",
        {
            "need": row,
            "examples": need_examples(mentions[:EXAMPLES], policy=policy),
            "page": page,
            "more": len(mentions) > EXAMPLES,
            "source": source,
            "sources": TextSource.choices,
            "statuses": NeedStatus.choices,
            "synonyms": need_synonyms(need=need),
            "told": need_notice_count(need=need),
            "may_work": needs_may_work(actor=request.user),
            "may_merge": policy.may_administer,
            "channels": [(c.value, c.label) for c in CLOSE_CHANNELS],
            "form": form
            or {
                "channel": "email",
                "text_zh": texts["zh-hans"],
                "text_en": texts["en"],
            },
            "preview": preview,
            "error": error,
            "chart": {
                "months": list(row["trend"]),
                "counts": list(row["trend"].values()),
                "name": pgettext("need chart", "Texts"),
            },
        },
        status=status,
    )


@login_required
@require_GET
@domain_errors
def need_detail(request: HttpRequest, pk: int) -> HttpResponse:
    needs_read_check(actor=request.user)
    return _detail(request, need_get(pk=pk))


@login_required
@require_POST
@domain_errors
def need_status(request: HttpRequest, pk: int) -> HttpResponse:
    needs_read_check(actor=request.user)
    need = need_get(pk=pk)
    try:
        need_status_set(
            actor=request.user, need=need, status=request.POST.get("status", "")
        )
    except ValidationFailed as error:
        need.refresh_from_db()
        return _detail(request, need, error=error.message, status=400)
    messages.success(request, _("Status saved."))
    return redirect("needs:detail", pk=need.pk)


@login_required
@require_POST
@domain_errors
def need_merge_view(request: HttpRequest, pk: int) -> HttpResponse:
    needs_read_check(actor=request.user)
    need = need_get(pk=pk)
    try:
        target = need_merge(
            actor=request.user, need=need, into=request.POST.get("into", "")
        )
    except ValidationFailed as error:
        return _detail(request, need, error=error.message, status=400)
    messages.success(
        request, _("Merged: %(term)s now counts as this need.") % {"term": need.term}
    )
    return redirect("needs:detail", pk=target.pk)


@login_required
@require_POST
@domain_errors
def need_loop(request: HttpRequest, pk: int) -> HttpResponse:
    """Close the loop: ``preview`` counts who would be told; otherwise send."""
    needs_read_check(actor=request.user)
    need = need_get(pk=pk)
    form = {
        "channel": request.POST.get("channel", ""),
        "text_zh": request.POST.get("text_zh", ""),
        "text_en": request.POST.get("text_en", ""),
    }
    try:
        if request.POST.get("preview"):
            count = need_loop_preview(
                actor=request.user, need=need, channel=form["channel"]
            )
            return _detail(request, need, preview=count, form=form)
        count = need_loop_close(
            actor=request.user,
            need=need,
            channel=form["channel"],
            text_zh=form["text_zh"],
            text_en=form["text_en"],
        )
    except ValidationFailed as error:
        return _detail(request, need, error=error.message, form=form, status=400)
    messages.success(
        request,
        _(
            "%(queued)d customers will be told; %(suppressed)d suppressed; "
            "%(already)d were told before."
        )
        % {
            "queued": count.queued,
            "suppressed": sum(count.suppressed.values()),
            "already": count.already,
        },
    )
    return redirect("needs:detail", pk=need.pk)
