"""Surveys endpoints: the surveys, the invitations and the answers of the
caller's customers (scoped like customers), read-only."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.access.policies import policy_for
from guanxi.core.api import ERRORS, NewestFirstPagination
from guanxi.core.errors import PermissionDenied
from guanxi.surveys.api.serializers import (
    AnswerSerializer,
    InvitationSerializer,
    SurveySerializer,
)
from guanxi.surveys.selectors import answer_scope, invitation_scope, survey_list

__all__ = ["AnswerViewSet", "InvitationViewSet", "SurveyViewSet"]


def _require_role(request: Request) -> None:
    if not policy_for(request.user).active:
        raise PermissionDenied(_("your role may not see surveys"))


class _Scoped(viewsets.GenericViewSet[Any]):
    pagination_class = NewestFirstPagination

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "policy": policy_for(self.request.user),
        }

    def list(self, request: Request) -> Response:
        _require_role(request)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(
        tags=["surveys"],
        summary=gettext_lazy("List surveys"),
        description=gettext_lazy(
            "The four surveys (NPS, CSAT, churn reason, needs) with their texts "
            "in both languages, channel, purpose and triggers."
        ),
        responses={200: SurveySerializer(many=True), **ERRORS},
    ),
)
class SurveyViewSet(viewsets.GenericViewSet[Any]):
    serializer_class = SurveySerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Any]:
        return survey_list()

    def list(self, request: Request) -> Response:
        _require_role(request)
        return Response(self.get_serializer(self.get_queryset(), many=True).data)


@extend_schema_view(
    list=extend_schema(
        tags=["surveys"],
        summary=gettext_lazy("List survey invitations"),
        description=gettext_lazy(
            "Invitations sent to the caller's customers, newest first; an "
            "account manager sees only their own customers'."
        ),
        responses={200: InvitationSerializer(many=True), **ERRORS},
    ),
)
class InvitationViewSet(_Scoped):
    serializer_class = InvitationSerializer

    def get_queryset(self) -> QuerySet[Any]:
        return invitation_scope(actor=self.request.user).select_related("survey")


@extend_schema_view(
    list=extend_schema(
        tags=["surveys"],
        summary=gettext_lazy("List survey answers"),
        description=gettext_lazy(
            "Answers of the caller's customers, newest first. Roles without "
            "personal data (analysts) get free text with phone numbers, e-mail "
            "addresses and the customer's name masked."
        ),
        responses={200: AnswerSerializer(many=True), **ERRORS},
    ),
)
class AnswerViewSet(_Scoped):
    serializer_class = AnswerSerializer

    def get_queryset(self) -> QuerySet[Any]:
        return answer_scope(actor=self.request.user).select_related("customer")
