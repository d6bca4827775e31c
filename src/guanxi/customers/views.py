"""Customer pages: the list with search and filters, and the customer 360.

Each view parses the request, calls selectors (which apply the actor's scope) and
renders. What a role may see of a customer comes from ``customer_card`` only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.vary import vary_on_headers

from guanxi.access.policies import policy_for, scope_for
from guanxi.audit.services import customer_viewed
from guanxi.core.errors import RateLimited, ValidationFailed
from guanxi.core.pagination import KeysetPage, keyset_page
from guanxi.core.values import parse_id
from guanxi.core.views import (
    HtmxHttpRequest,
    domain_errors,
    filter_values,
    page_or_fragment,
    query_without_cursor,
    url_maker,
)
from guanxi.coupons.selectors import customer_coupon_cards
from guanxi.customers.choices import Channel, Gender, Language
from guanxi.customers.detail import customer_insight, customer_timeline
from guanxi.customers.edit_views import customer_actions
from guanxi.customers.filtersets import PURCHASE_CHOICES, CustomerFilterSet
from guanxi.customers.presenters import customer_card, customer_list_row
from guanxi.customers.saved_views import saved_view_list
from guanxi.customers.selectors import (
    assignable_managers,
    customer_get,
    customer_scope,
    customer_sorted,
    tag_list,
)
from guanxi.insights.selectors import customer_scores
from guanxi.privacy.selectors import is_minor, profiling_refused

__all__ = ["customer_detail", "customer_list"]

CUSTOMERS_PER_PAGE = 50
#: The list's filters as the form shows them again.
LIST_FILTERS = (
    "q",
    "city",
    "tag",
    "gender",
    "assigned_manager",
    "source",
    "purchases",
    "spend_min",
    "spend_max",
    "last_purchase_from",
    "last_purchase_to",
    "sort",
)


def _sort_choices() -> list[tuple[str, str]]:
    return [
        ("", _("Newest first")),
        ("-spend", _("Spend, highest first")),
        ("spend", _("Spend, lowest first")),
        ("-orders", _("Orders, most first")),
        ("orders", _("Orders, fewest first")),
        ("-last_purchase", _("Last purchase, latest first")),
        ("last_purchase", _("Last purchase, earliest first")),
    ]


#: The deepest page of a customer's timeline one may ask for.
MAX_TIMELINE_PAGE = 10_000


def _language_label(code: str) -> str:
    """A customer's language in words; empty: the business's, named."""
    if code in Language.values and code:
        return str(Language(code).label)
    business = str(settings.LANGUAGE_CODE).lower()
    name = Language.EN.label if business.startswith("en") else Language.ZH_HANS.label
    return _("%(language)s (the business's)") % {"language": name}


def _timeline_page(value: str | None) -> int:
    """``?page=``: 1 when absent, else a whole number up to MAX_TIMELINE_PAGE
    (``?page=2**70`` used to reach the database as a LIMIT and fail there)."""
    if value in (None, ""):
        return 1
    number = parse_id(value)
    if number is None or number > MAX_TIMELINE_PAGE:
        raise ValidationFailed(
            _("page number must be a whole number from 1 to %(max)s")
            % {"max": f"{MAX_TIMELINE_PAGE:,}"}
        )
    return number


@login_required
@vary_on_headers("HX-Request")
@domain_errors
def customer_list(request: HtmxHttpRequest) -> HttpResponse:
    """The customers in scope: search, filters that combine, a sort, keyset
    pages. Bad filter values show their message above an empty list."""
    policy = policy_for(request.user)
    error = ""
    status = 200
    try:
        filterset = CustomerFilterSet(
            request.GET, queryset=customer_scope(actor=request.user), request=request
        )
        qs, keys, descending = customer_sorted(
            filterset.qs, request.GET.get("sort", ""), actor=request.user
        )
        page = keyset_page(
            qs.prefetch_related("tags"),
            keys=keys,
            descending=descending,
            after=request.GET.get("after"),
            before=request.GET.get("before"),
            per_page=CUSTOMERS_PER_PAGE,
        )
    except (ValidationFailed, RateLimited) as exc:
        error = exc.message
        status = exc.status_code
        page = KeysetPage(items=[], count=0, count_capped=False)
    # Roles that know customers by pseudonym get no link: the detail page is
    # addressed by number.
    url = (
        url_maker("customers:customer-detail")
        if policy.knows_customer_numbers
        else None
    )
    everyone = scope_for(request.user).everyone
    context = {
        "rows": [customer_list_row(c, policy=policy, url=url) for c in page.items],
        "page": page,
        "error": error,
        "filters": filter_values(request, LIST_FILTERS),
        "query": query_without_cursor(request),
        "genders": [(v, label) for v, label in Gender.choices if v],
        "purchase_choices": PURCHASE_CHOICES,
        "sorts": _sort_choices(),
        "tags": tag_list(),
        "managers": list(assignable_managers()) if everyone else [],
        "pseudonymous": policy.pseudonymous,
        "may_create": policy.may_edit_customers,
        # The bulk bar: what the role may do to many customers at once.
        "may_tag": policy.may_tag_customers,
        "may_assign": policy.may_assign_manager,
        "may_export": policy.may_export,
        "may_send": policy.may_send_broadcasts,
        "selectable": (
            policy.may_tag_customers
            or policy.may_assign_manager
            or policy.may_send_broadcasts
        )
        and policy.knows_customer_numbers,
    }
    template = page_or_fragment(
        request,
        page="customers/customer_list.html",
        fragment="customers/partials/customer_results.html",
    )
    if template == "customers/customer_list.html":
        context["saved_views"] = list(saved_view_list(actor=request.user))
        context["may_save_views"] = policy.active
    # The whole page answers a bad filter with 400 (too many searches: 429);
    # htmx swaps only 2xx answers, so its fragment carries the message with 200.
    bad = error and template == "customers/customer_list.html"
    return render(request, template, context, status=status if bad else 200)


@login_required
@vary_on_headers("HX-Request")
@domain_errors
def customer_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The customer 360: profile, tags, scores explained, the next action, the
    stage history and the timeline (a page of it for htmx's "show older")."""
    policy = policy_for(request.user)
    customer = customer_get(actor=request.user, pk=pk)
    page = _timeline_page(request.GET.get("page"))
    scores = customer_scores(customer_id=customer.pk)
    events, has_more, stage_changes = customer_timeline(
        actor=request.user, customer=customer, page=page, scores=scores
    )
    context: dict[str, Any] = {
        "pk": customer.pk,
        "events": events,
        "next_page": page + 1 if has_more else None,
    }
    template = page_or_fragment(
        request,
        page="customers/customer_detail.html",
        fragment="customers/partials/timeline_items.html",
    )
    if template == "customers/customer_detail.html":
        # The page shows the personal fields; "show older" of the timeline
        # (the fragment) does not, and is not a view of them.
        customer_viewed(actor=request.user, customer_id=customer.pk, via="web")
        card = customer_card(customer, policy=policy)
        manager = customer.assigned_manager if customer.assigned_manager_id else None
        context |= {
            "card": card,
            "channel_label": (
                Channel(card["preferred_channel"]).label
                if card["preferred_channel"] in Channel.values
                and card["preferred_channel"]
                else ""
            ),
            "manager_label": manager.get_username() if manager is not None else "",
            # Under 14: sensitive personal information (PIPL arts. 28, 31).
            "minor": is_minor(customer.birthday),
            "unprofiled": profiling_refused(
                customer_id=customer.pk, birthday=customer.birthday
            ),
            "language_label": _language_label(card.get("language", "")),
            "business_time_zone": settings.TIME_ZONE,
            **customer_insight(
                scores=scores, stage_changes=stage_changes, policy=policy
            ),
            **customer_actions(actor=request.user, customer=customer),
            **customer_coupon_cards(actor=request.user, customer_id=customer.pk),
        }
    return render(request, template, context)
