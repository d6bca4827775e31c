"""Needs endpoints: the needs ranked by customers, one need with example
texts (masked as the ticket inbox masks), a status change; parse, call one
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
from guanxi.core.api import ERRORS, JSONParser, KeysetPagination
from guanxi.core.errors import ValidationFailed
from guanxi.needs.api.serializers import (
    ExampleSerializer,
    NeedDetailSerializer,
    NeedSerializer,
    NeedStatusSerializer,
)
from guanxi.needs.choices import NeedStatus
from guanxi.needs.presenters import need_examples
from guanxi.needs.selectors import (
    need_get,
    need_list,
    need_mentions,
    need_notice_count,
    need_synonyms,
)
from guanxi.needs.services import need_status_set, needs_read_check

__all__ = ["NeedViewSet"]

TAGS = ["needs"]
EXAMPLES = 20


class MostCustomersFirstPagination(KeysetPagination):
    """Needs with the most customers first."""

    ordering = ("-customers", "-id")

    def position_is_valid(self, position: str) -> bool:
        return position.isascii() and position.isdigit() and len(position) < 12


@extend_schema_view(
    list=extend_schema(
        tags=TAGS,
        summary=gettext_lazy("List needs"),
        description=gettext_lazy(
            "The needs list, the needs with the most customers first; filter "
            "with `status`. Admins, operations, service and analysts."
        ),
        parameters=[
            OpenApiParameter(
                "status", OpenApiTypes.STR, enum=list(NeedStatus.values), required=False
            )
        ],
        responses={200: NeedSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        tags=TAGS,
        summary=gettext_lazy("One need"),
        description=gettext_lazy(
            "A need with its latest texts (phone numbers, e-mails and, for "
            "analysts, names masked), its synonyms and how many customers were "
            "told it was met."
        ),
        responses={200: NeedDetailSerializer, **ERRORS},
    ),
)
class NeedViewSet(viewsets.GenericViewSet[Any]):
    serializer_class = NeedSerializer
    pagination_class = MostCustomersFirstPagination
    parser_classes = [JSONParser]

    def get_queryset(self) -> QuerySet[Any]:
        status = self.request.query_params.get("status")
        if status is not None and status not in NeedStatus.values:
            raise ValidationFailed(_("Choose a status."), field="status")
        return need_list(status=status or "")

    def list(self, request: Request) -> Response:
        needs_read_check(actor=request.user)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(NeedSerializer(page, many=True).data)

    def _detail(self, request: Request, pk: str) -> dict[str, Any]:
        need = need_get(pk=pk)
        data = dict(NeedSerializer(need).data)
        policy = policy_for(request.user)
        mentions = list(need_mentions(need=need, policy=policy)[:EXAMPLES])
        examples = need_examples(mentions, policy=policy)
        data["examples"] = [
            ExampleSerializer(
                {
                    "source": e["source_value"],
                    "source_id": e["source_id"],
                    "customer": e["customer"],
                    "month": e["month"],
                    "text": e["text"],
                }
            ).data
            for e in examples
        ]
        data["synonyms"] = need_synonyms(need=need)
        data["told"] = need_notice_count(need=need)
        return data

    def retrieve(self, request: Request, pk: str) -> Response:
        needs_read_check(actor=request.user)
        return Response(self._detail(request, pk))

    @extend_schema(
        tags=TAGS,
        summary=gettext_lazy("Change a need's status"),
        description=gettext_lazy(
            "new, planned, done or dismissed. Admins, operations and service."
        ),
        request=NeedStatusSerializer,
        responses={200: NeedDetailSerializer, **ERRORS},
    )
    def status(self, request: Request, pk: str) -> Response:
        needs_read_check(actor=request.user)
        need = need_get(pk=pk)
        if not isinstance(request.data, dict):
            raise ValidationFailed(_("expected a JSON object"))
        body = NeedStatusSerializer(data=dict(request.data))
        body.is_valid(raise_exception=True)
        need_status_set(
            actor=request.user, need=need, status=body.validated_data["status"]
        )
        return Response(self._detail(request, pk))
