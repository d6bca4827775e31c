"""Order endpoints: list, detail, create and bulk create.

Scope comes from the selectors, validation and writes from the services; a
re-posted order (same source and external id) comes back unchanged with 200.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet, prefetch_related_objects
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.access.policies import Policy, policy_for
from guanxi.commerce.api.serializers import (
    BulkErrorSerializer,
    OrderBulkResultSerializer,
    OrderBulkWriteSerializer,
    OrderSerializer,
    OrderWriteSerializer,
)
from guanxi.commerce.filtersets import OrderFilterSet
from guanxi.commerce.models import Order
from guanxi.commerce.selectors import order_get, order_list
from guanxi.commerce.services import (
    BULK_LIMIT,
    ItemError,
    OrderInput,
    OrdersRejected,
    order_bulk_create,
    order_create,
    order_write_check,
)
from guanxi.core.api import ERRORS, JSONParser, OrderedAtPagination, flatten_errors
from guanxi.core.collector import collector_paused
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.core.values import parse_id

__all__ = ["OrderViewSet"]


def _policy(request: Request) -> Policy:
    return policy_for(request.user)


def _with_lines(orders: list[Order]) -> list[Order]:
    """The same orders with their lines and products loaded (two queries)."""
    prefetch_related_objects(orders, "lines__product")
    return orders


def _order_id(pk: str) -> int:
    number = parse_id(pk)
    if number is None:
        raise NotFound(_("order not found"))
    return number


#: An order's id is a number: the schema says so, for "/orders/bulk/" is the
#: bulk create, not the order "bulk" (any other id that is not a number is
#: answered "order not found").
_ID = OpenApiParameter(
    "id", {"type": "string", "pattern": "^[0-9]+$"}, OpenApiParameter.PATH
)


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List orders"),
        description=gettext_lazy(
            "Orders of the customers in the caller's scope, newest first."
        ),
        responses={200: OrderSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        parameters=[_ID],
        summary=gettext_lazy("One order"),
        responses={200: OrderSerializer, **ERRORS},
    ),
    create=extend_schema(
        summary=gettext_lazy("Record an order"),
        description=gettext_lazy(
            "Idempotent on (source, external_id): posting an order that is already "
            "recorded returns the stored order unchanged with 200."
        ),
        request=OrderWriteSerializer,
        responses={201: OrderSerializer, 200: OrderSerializer, **ERRORS},
    ),
    bulk=extend_schema(
        summary=gettext_lazy("Record many orders at once"),
        description=gettext_lazy(
            "All or nothing: if any order is invalid none is recorded and every "
            'problem is listed as `{"errors": [{"index", "field", '
            '"message"}]}`. Orders already recorded come back unchanged.'
        ),
        request=OrderBulkWriteSerializer,
        responses={
            201: OrderBulkResultSerializer,
            200: OrderBulkResultSerializer,
            400: BulkErrorSerializer,
            401: ERRORS[401],
            403: ERRORS[403],
        },
    ),
)
class OrderViewSet(viewsets.GenericViewSet[Order]):
    """Orders: list with filters, detail, create, bulk create (JSON bodies)."""

    serializer_class = OrderSerializer
    filterset_class = OrderFilterSet
    pagination_class = OrderedAtPagination
    # Any segment reaches the view, so /orders/0.5/ is this API's 404.
    lookup_value_regex = "[^/]+"
    # Orders carry nested lines, which form and multipart bodies cannot hold.
    parser_classes = [JSONParser]
    queryset = Order.objects.none()  # for the schema; the real one is scoped

    def get_queryset(self) -> QuerySet[Order]:
        return order_list(actor=self.request.user).prefetch_related("lines__product")

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "policy": _policy(self.request)}

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        order = order_get(actor=request.user, pk=_order_id(pk))
        return Response(self.get_serializer(order).data)

    def create(self, request: Request) -> Response:
        order_write_check(actor=request.user)
        if not isinstance(request.data, dict):
            raise ValidationFailed(_("expected a JSON object"))
        write = OrderWriteSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        order, created = order_create(
            actor=request.user, order=write.to_input(write.validated_data)
        )
        return Response(
            self.get_serializer(_with_lines([order])[0]).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @action(detail=False, methods=["post"], url_path="bulk", url_name="bulk")
    def bulk(self, request: Request) -> Response:
        order_write_check(actor=request.user)
        # A bulk allocates about a hundred objects per order, all gone with the
        # request: without the pause the collector walked the whole heap every
        # few requests (guanxi.core.collector).
        with collector_paused():
            orders, refused = _bulk_items(request.data)
            try:
                results = order_bulk_create(actor=request.user, orders=orders)
            except OrdersRejected as exc:
                errors = sorted([*refused, *exc.errors], key=lambda e: e.index or 0)
                return _rejected(errors)
            created = sum(1 for _order, new in results if new)
            return Response(
                {
                    "created": created,
                    "unchanged": len(results) - created,
                    "orders": self.get_serializer(
                        [order for order, _new in results], many=True
                    ).data,
                },
                status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            )

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if (
            getattr(self, "action", None) == "bulk"
            and response.status_code == status.HTTP_400_BAD_REQUEST
            and "errors" not in (response.data or {})
        ):
            # The bulk endpoint answers every 400 in its documented shape,
            # even for a body that is not JSON at all.
            data = response.data
            detail = data.get("detail", data) if isinstance(data, dict) else data
            response = _rejected(
                [ItemError(None, f, m) for f, m in flatten_errors(detail)]
            )
        return response


def _rejected(errors: list[ItemError]) -> Response:
    return Response(
        {"errors": [e.as_dict() for e in errors]}, status=status.HTTP_400_BAD_REQUEST
    )


def _bulk_items(data: Any) -> tuple[list[OrderInput | None], list[ItemError]]:
    """The clean orders of a bulk body (``None`` for each refused item) and the
    problems of the refused ones, by item index."""
    if not isinstance(data, dict):
        raise exceptions.ValidationError({"orders": [_("expected a list of orders")]})
    envelope = OrderBulkWriteSerializer()
    items = data.get("orders")
    field = envelope.fields["orders"]
    if not isinstance(items, list):
        raise exceptions.ValidationError({"orders": [_("expected a list of orders")]})
    if len(items) > BULK_LIMIT:
        message = field.error_messages["max_length"].format(max_length=BULK_LIMIT)
        raise exceptions.ValidationError({"orders": [message]})
    child = field.child  # type: ignore[attr-defined]
    orders: list[OrderInput | None] = []
    refused: list[ItemError] = []
    for index, item in enumerate(items):
        try:
            clean = child.run_validation(item)
        except serializers.ValidationError as exc:
            orders.append(None)
            refused += [ItemError(index, f, m) for f, m in flatten_errors(exc.detail)]
            continue
        orders.append(OrderWriteSerializer.to_input(clean))
    return orders, refused
