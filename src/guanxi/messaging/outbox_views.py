"""The outbox pages (mounted at ``messages/``): every message with its status
and reason, searchable and filtered, and one message with what happened to it.

Scoped like the customers (an account manager sees their own customers'
messages; another's message is answered as missing); the customer is shown
through ``customer_card`` only, so pseudonymous roles see the pseudonym.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from guanxi.access.policies import policy_for
from guanxi.core.pagination import keyset_page
from guanxi.core.views import (
    HtmxHttpRequest,
    domain_errors,
    filter_values,
    page_or_fragment,
    query_without_cursor,
    url_maker,
)
from guanxi.messaging.choices import (
    MessageChannel,
    MessageStatus,
    Purpose,
    SuppressReason,
)
from guanxi.messaging.filtersets import MessageFilterSet
from guanxi.messaging.languages import broadcast_text_in, language_label
from guanxi.messaging.presenters import message_row
from guanxi.messaging.selectors import (
    message_events,
    message_get,
    message_scope,
    message_status_counts,
)

__all__ = ["message_detail", "message_list"]

MESSAGES_PER_PAGE = 50

_FILTERS = (
    "q",
    "status",
    "channel",
    "purpose",
    "reason",
    "broadcast",
    "customer",
    "created_from",
    "created_to",
)


def _urls() -> dict[str, Callable[[int], str]]:
    return {
        "message": url_maker("outbox:message-detail"),
        "customer": url_maker("customers:customer-detail"),
    }


@login_required
@vary_on_headers("HX-Request")
@domain_errors
def message_list(request: HtmxHttpRequest) -> HttpResponse:
    policy = policy_for(request.user)
    scope = message_scope(actor=request.user)
    filterset = MessageFilterSet(request.GET, queryset=scope, request=request)
    qs = filterset.qs.select_related("customer", "broadcast")
    page = keyset_page(
        qs,
        keys=("id",),
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        per_page=MESSAGES_PER_PAGE,
    )
    urls = _urls()
    params = filter_values(request, _FILTERS)
    counts = message_status_counts(scope)
    context = {
        "rows": [message_row(m, policy=policy, urls=urls) for m in page.items],
        "page": page,
        "query": query_without_cursor(request),
        "params": params,
        "counts": [
            {"status": s.value, "label": s.label, "n": counts[s.value]}
            for s in MessageStatus
        ],
        "statuses": MessageStatus.choices,
        "channels": MessageChannel.choices,
        "purposes": [(p.value, p.label) for p in (Purpose.SERVICE, Purpose.MARKETING)],
        "reasons": SuppressReason.choices,
        "searches_people": policy.may_search_people,
    }
    template = page_or_fragment(
        request,
        page="messaging/outbox.html",
        fragment="messaging/partials/outbox_rows.html",
    )
    return render(request, template, context)


@login_required
@domain_errors
def message_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    policy = policy_for(request.user)
    message = message_get(actor=request.user, pk=pk)
    row = message_row(message, policy=policy, urls=_urls())
    return render(
        request,
        "messaging/message_detail.html",
        {
            **row,
            "events": list(message_events(message_id=message.pk)),
            "template": (
                broadcast_text_in(message.broadcast, message.language)
                if message.broadcast
                else None
            ),
            "language": language_label(message.language),
        },
    )
