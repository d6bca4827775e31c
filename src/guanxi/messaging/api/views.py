"""A customer's consent ledger (list it, add a statement) and the outbox (list
messages, one message with its events). Scoped like the customers (someone
else's customer, and their messages, are answered as missing)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.access.policies import policy_for
from guanxi.core.api import ERRORS, JSONParser, NewestFirstPagination
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.values import parse_id
from guanxi.customers.selectors import customer_get
from guanxi.messaging.api.serializers import (
    ConsentRecordSerializer,
    ConsentWriteSerializer,
    MessageDetailSerializer,
    MessageSerializer,
)
from guanxi.messaging.filtersets import MessageFilterSet
from guanxi.messaging.models import Message
from guanxi.messaging.selectors import (
    consent_history,
    message_get,
    message_list,
)
from guanxi.messaging.services import consent_record

__all__ = ["ConsentViewSet", "MessageViewSet"]

_CUSTOMER = OpenApiParameter(
    "customer_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description=gettext_lazy("Customer number."),
)


def _customer(request: Request, pk: Any) -> Any:
    number = parse_id(pk)
    if number is None:
        raise NotFound(_("customer not found"))
    return customer_get(actor=request.user, pk=number)


@extend_schema_view(
    list=extend_schema(
        tags=["consent"],
        parameters=[_CUSTOMER],
        summary=gettext_lazy("A customer's consent ledger"),
        description=gettext_lazy(
            "Every statement of consent, newest first. The current consent for a "
            "purpose and channel is the newest statement of that pair."
        ),
        responses={200: ConsentRecordSerializer(many=True), **ERRORS},
    ),
    create=extend_schema(
        tags=["consent"],
        parameters=[_CUSTOMER],
        summary=gettext_lazy("Record consent"),
        description=gettext_lazy(
            "Append a statement (granted or withdrawn) with its source, the "
            "notice version and evidence. The ledger is never changed: a change "
            "of mind is a new statement."
        ),
        request=ConsentWriteSerializer,
        responses={201: ConsentRecordSerializer, **ERRORS},
    ),
)
class ConsentViewSet(viewsets.GenericViewSet[Any]):
    """The consent ledger of one customer."""

    serializer_class = ConsentRecordSerializer
    parser_classes = [JSONParser]
    pagination_class = NewestFirstPagination

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return consent_history(customer_id=0)
        customer = _customer(self.request, self.kwargs.get("customer_id"))
        return consent_history(customer_id=customer.pk)

    def list(self, request: Request, customer_id: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request: Request, customer_id: str) -> Response:
        customer = _customer(request, customer_id)
        if not policy_for(request.user).may_record_consent:
            raise PermissionDenied(_("Your role may not record consent."))
        if not isinstance(request.data, dict):
            raise ValidationFailed(_("expected a JSON object"))
        write = ConsentWriteSerializer(data=dict(request.data))
        write.is_valid(raise_exception=True)
        record = consent_record(
            customer=customer, actor=request.user, **write.validated_data
        )
        return Response(
            self.get_serializer(record).data, status=status.HTTP_201_CREATED
        )


def _message_id(pk: str) -> int:
    number = parse_id(pk)
    if number is None:
        raise NotFound(_("message not found"))
    return number


@extend_schema_view(
    list=extend_schema(
        tags=["messages"],
        summary=gettext_lazy("List messages"),
        description=gettext_lazy(
            "The outbox: messages to the customers in the caller's scope, newest "
            "first, with their status and, when suppressed, the reason. "
            "`q` finds customers as staff search does (not for analysts)."
        ),
        responses={200: MessageSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        tags=["messages"],
        summary=gettext_lazy("One message"),
        description=gettext_lazy(
            "A message with what its channel reported after it was sent "
            "(delivery receipts)."
        ),
        responses={200: MessageDetailSerializer, **ERRORS},
    ),
)
class MessageViewSet(viewsets.GenericViewSet[Message]):
    """The outbox: list with filters, one message with its events."""

    serializer_class = MessageSerializer
    filterset_class = MessageFilterSet
    pagination_class = NewestFirstPagination
    lookup_value_regex = "[^/]+"
    queryset = Message.objects.none()  # for the schema; the real one is scoped

    def get_queryset(self) -> QuerySet[Message]:
        return message_list(actor=self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "policy": policy_for(self.request.user),
        }

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        message = message_get(actor=request.user, pk=_message_id(pk))
        serializer = MessageDetailSerializer(
            message, context=self.get_serializer_context()
        )
        return Response(serializer.data)
