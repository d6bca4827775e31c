"""Tickets endpoints: the tickets in the caller's scope (filters as the
inbox), one ticket, opening one, a reply, a status change; parse, call one
selector or service, render."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.access.policies import policy_for
from guanxi.core.api import ERRORS, JSONParser, NewestFirstPagination
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.feedback.api.serializers import (
    ReplySerializer,
    StatusSerializer,
    TicketCreateSerializer,
    TicketSerializer,
)
from guanxi.feedback.choices import Category, Channel, Source, Status
from guanxi.feedback.selectors import ticket_get, ticket_list
from guanxi.feedback.services import ticket_open, ticket_reply, ticket_transition

__all__ = ["TicketViewSet"]

TAGS = ["feedback"]


def _body(request: Request, serializer: Any) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise ValidationFailed(_("expected a JSON object"))
    body = serializer(data=dict(request.data))
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


@extend_schema_view(
    list=extend_schema(
        tags=TAGS,
        summary=gettext_lazy("List tickets"),
        description=gettext_lazy(
            "Tickets of the customers in the caller's scope, newest first. "
            "Filter with `status` (or `open`), `category`, `overdue=1`. "
            "Analysts read texts with phone numbers, e-mails and names masked."
        ),
        parameters=[
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                enum=["open", *Status.values],
                required=False,
            ),
            OpenApiParameter(
                "category", OpenApiTypes.STR, enum=list(Category.values), required=False
            ),
            OpenApiParameter(
                "overdue", OpenApiTypes.STR, enum=["0", "1"], required=False
            ),
        ],
        responses={200: TicketSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        tags=TAGS,
        summary=gettext_lazy("One ticket"),
        responses={200: TicketSerializer, **ERRORS},
    ),
    create=extend_schema(
        tags=TAGS,
        summary=gettext_lazy("Open a ticket"),
        description=gettext_lazy(
            "Open a ticket for a customer in the caller's scope; its owner and "
            "due times are set as on the staff form. Bad input changes nothing."
        ),
        request=TicketCreateSerializer,
        responses={201: TicketSerializer, **ERRORS},
    ),
)
class TicketViewSet(viewsets.GenericViewSet[Any]):
    serializer_class = TicketSerializer
    pagination_class = NewestFirstPagination
    parser_classes = [JSONParser]

    def _policy(self) -> Any:
        policy = policy_for(self.request.user)
        if not policy.active:
            raise PermissionDenied(_("Your role may not see tickets."))
        return policy

    def get_queryset(self) -> QuerySet[Any]:
        params = self.request.query_params
        status = params.get("status")
        category = params.get("category")
        overdue = params.get("overdue")
        if status is not None and status not in ("open", *Status.values):
            raise ValidationFailed(_("Choose a status."), field="status")
        if category is not None and category not in Category.values:
            raise ValidationFailed(_("Choose a category."), field="category")
        if overdue is not None and overdue not in ("0", "1"):
            raise ValidationFailed(_("overdue is 1 or 0."), field="overdue")
        return ticket_list(
            actor=self.request.user,
            status=status or "",
            category=category or "",
            overdue=overdue == "1",
        ).select_related("customer", "owner")

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "policy": self._policy()}

    def list(self, request: Request) -> Response:
        self._policy()
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        self._policy()
        return Response(self.get_serializer(ticket_get(actor=request.user, pk=pk)).data)

    def create(self, request: Request) -> Response:
        self._policy()
        body = _body(request, TicketCreateSerializer)
        ticket = ticket_open(
            actor=request.user,
            customer_id=body["customer"],
            category=body["category"],
            text=body["text"],
            channel=body.get("channel") or Channel.API,
            priority=body.get("priority") or "normal",
            source=Source.API,
        )
        return Response(
            self.get_serializer(ticket_get(actor=request.user, pk=ticket.pk)).data,
            status=201,
        )

    @extend_schema(
        tags=TAGS,
        summary=gettext_lazy("Reply to a ticket"),
        description=gettext_lazy(
            "A reply to the customer (the first stops the first-reply clock) "
            "or, with `internal`, a note only staff read."
        ),
        request=ReplySerializer,
        responses={200: TicketSerializer, **ERRORS},
    )
    def reply(self, request: Request, pk: str) -> Response:
        self._policy()
        ticket_get(actor=request.user, pk=pk)  # 404 before any message about the body
        body = _body(request, ReplySerializer)
        ticket_reply(
            actor=request.user,
            ticket_id=pk,
            text=body["text"],
            internal=body["internal"],
        )
        return Response(self.get_serializer(ticket_get(actor=request.user, pk=pk)).data)

    @extend_schema(
        tags=TAGS,
        summary=gettext_lazy("Change a ticket's status"),
        description=gettext_lazy(
            "new → acknowledged → in_progress → solved → confirmed, or "
            "closed_unsolved with a `reason`; other moves are refused."
        ),
        request=StatusSerializer,
        responses={200: TicketSerializer, **ERRORS},
    )
    def status(self, request: Request, pk: str) -> Response:
        self._policy()
        ticket_get(actor=request.user, pk=pk)
        body = _body(request, StatusSerializer)
        ticket_transition(
            actor=request.user,
            ticket_id=pk,
            to=body["status"],
            reason=body.get("reason", ""),
        )
        return Response(self.get_serializer(ticket_get(actor=request.user, pk=pk)).data)
