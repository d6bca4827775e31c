"""Order endpoints: list, detail, create and bulk create.

Scope comes from the selectors, validation and writes from the services; a
re-posted order (same source and external id) comes back unchanged with 200.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet, prefetch_related_objects
from django.http import QueryDict
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
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
    ORDER_FIELDS,
    OrdersRejected,
    order_bulk_create,
    order_create,
)
from guanxi.core.api import ERRORS
from guanxi.core.errors import ValidationFailed

__all__ = ["OrderViewSet"]


def _policy(request: Request) -> Policy:
    return policy_for(request.user)


def _fields(item: Any) -> Any:
    """Only the order fields of an item (a JSON object), else the item as it is."""
    if isinstance(item, QueryDict):
        item = item.dict()
    if isinstance(item, dict):
        return {k: item[k] for k in ORDER_FIELDS if k in item}
    return item


def _with_lines(orders: list[Order]) -> list[Order]:
    """The same orders with their lines and products loaded (two queries)."""
    prefetch_related_objects(orders, "lines__product")
    return orders


@extend_schema_view(
    list=extend_schema(
        summary="List orders",
        description="Orders of the customers in the caller's scope, newest first.",
        responses={200: OrderSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        summary="One order", responses={200: OrderSerializer, **ERRORS}
    ),
    create=extend_schema(
        summary="Record an order",
        description=(
            "Idempotent on (source, external_id): posting an order that is already "
            "recorded returns the stored order unchanged with 200."
        ),
        request=OrderWriteSerializer,
        responses={201: OrderSerializer, 200: OrderSerializer, **ERRORS},
    ),
    bulk=extend_schema(
        summary="Record many orders at once",
        description=(
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
    """Orders: list with filters, detail, create, bulk create."""

    serializer_class = OrderSerializer
    filterset_class = OrderFilterSet
    queryset = Order.objects.none()  # for the schema; the real one is scoped

    def get_queryset(self) -> QuerySet[Order]:
        return order_list(actor=self.request.user).prefetch_related("lines__product")

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "policy": _policy(self.request)}

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self.get_serializer(order_get(actor=request.user, pk=pk)).data)

    def create(self, request: Request) -> Response:
        data = _fields(request.data)
        if not isinstance(data, dict):
            raise ValidationFailed(_("expected a JSON object"))
        order, created = order_create(actor=request.user, **data)
        return Response(
            self.get_serializer(_with_lines([order])[0]).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @action(detail=False, methods=["post"], url_path="bulk", url_name="bulk")
    def bulk(self, request: Request) -> Response:
        items = request.data.get("orders") if isinstance(request.data, dict) else None
        if isinstance(items, list):
            items = [_fields(item) for item in items]
        try:
            # The service checks the role first, then the shape of the request.
            results = order_bulk_create(actor=request.user, items=items)
        except OrdersRejected as exc:
            return Response(
                {"errors": [e.as_dict() for e in exc.errors]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        except ValidationFailed as exc:
            return self._rejected(None, exc.field, exc.message)
        created = sum(1 for _order, new in results if new)
        orders = _with_lines([order for order, _new in results])
        return Response(
            {
                "created": created,
                "unchanged": len(results) - created,
                "orders": self.get_serializer(orders, many=True).data,
            },
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @staticmethod
    def _rejected(index: int | None, field: str | None, message: str) -> Response:
        return Response(
            {"errors": [{"index": index, "field": field, "message": message}]},
            status=status.HTTP_400_BAD_REQUEST,
        )
