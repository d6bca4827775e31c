"""Scores over the API: the latest run's scores, one customer's history, runs.

Scope comes from the selectors (an account manager reads only their own
customers' scores); how a customer is named from ``customer_ref``.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from guanxi.access.policies import policy_for
from guanxi.core.api import ERRORS, ByPseudonymPagination, KeysetPagination
from guanxi.core.errors import NotFound, PermissionDenied
from guanxi.core.filters import StrictFilterSet
from guanxi.core.values import parse_id
from guanxi.customers.presenters import customer_ref
from guanxi.customers.selectors import customer_get
from guanxi.insights.api.serializers import (
    CustomerScoresSerializer,
    RunSerializer,
    ScoreSerializer,
)
from guanxi.insights.choices import Emotion, Quadrant, Stage
from guanxi.insights.models import ScoreRun, ScoreSnapshot
from guanxi.insights.selectors import (
    run_list,
    snapshot_history,
    snapshot_scope,
)


class ByCustomerPagination(KeysetPagination):
    """Scores by customer number, ascending."""

    ordering = "customer_id"

    def position_is_valid(self, position: str) -> bool:
        return position.isascii() and position.isdigit() and len(position) < 20


class ScoreFilterSet(StrictFilterSet):
    quadrant = django_filters.ChoiceFilter(choices=Quadrant.choices)
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    emotion = django_filters.ChoiceFilter(choices=Emotion.choices)
    churn_risk_min = django_filters.NumberFilter(
        field_name="churn_risk", lookup_expr="gte", min_value=0, max_value=1
    )

    class Meta:
        model = ScoreSnapshot
        fields = ["quadrant", "stage", "emotion", "churn_risk_min"]


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("Scores of the latest run"),
        description=gettext_lazy(
            "Every customer's scores from the latest finished scoring run, by "
            "customer number, in the caller's scope (account managers: their own "
            "customers; analysts: pseudonymous ids, by pseudonym). Empty before "
            "the first run."
        ),
        responses={200: ScoreSerializer(many=True), **ERRORS},
    )
)
class ScoreViewSet(viewsets.GenericViewSet[ScoreSnapshot]):
    serializer_class = ScoreSerializer
    filterset_class = ScoreFilterSet
    pagination_class = ByCustomerPagination
    queryset = ScoreSnapshot.objects.none()  # for the schema; the real one is scoped

    def get_queryset(self) -> QuerySet[ScoreSnapshot]:
        rows = snapshot_scope(actor=self.request.user)
        if not policy_for(self.request.user).knows_customer_numbers:
            rows = rows.annotate(pseudonym=F("customer__pseudonym"))
        return rows

    @property
    def paginator(self) -> Any:
        """By customer number; by pseudonym for roles that know customers by
        it (in the order of the numbers a place would tell the number)."""
        if not hasattr(self, "_paginator"):
            known = policy_for(self.request.user).knows_customer_numbers
            self._paginator = (
                ByCustomerPagination() if known else ByPseudonymPagination()
            )
        return self._paginator

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "policy": policy_for(self.request.user),
        }

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class CustomerScoresView(APIView):
    @extend_schema(
        summary=gettext_lazy("One customer's scores and their history"),
        description=gettext_lazy(
            "The latest scores and up to 36 earlier snapshots, latest first. "
            "404 for a customer outside the caller's scope, and for roles that "
            "know customers by pseudonym only."
        ),
        responses={200: CustomerScoresSerializer, **ERRORS},
    )
    def get(self, request: Request, pk: str) -> Response:
        number = parse_id(pk)
        if number is None:
            raise NotFound(_("customer not found"))
        customer = customer_get(actor=request.user, pk=number)
        policy = policy_for(request.user)
        context = {"policy": policy, "request": request}
        history = snapshot_history(customer_id=customer.pk)
        current = history[0] if history else None
        return Response(
            {
                "customer": customer_ref(customer.pk, policy=policy),
                "current": ScoreSerializer(current, context=context).data
                if current
                else None,
                "history": ScoreSerializer(history, many=True, context=context).data,
            }
        )


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("Scoring runs"),
        description=gettext_lazy(
            "Every scoring run, the latest date first, with its state and counts "
            "over all customers. Administrators only."
        ),
        responses={200: RunSerializer(many=True), **ERRORS},
    )
)
class RunViewSet(viewsets.GenericViewSet[ScoreRun]):
    serializer_class = RunSerializer
    pagination_class = None
    queryset = ScoreRun.objects.none()

    def list(self, request: Request) -> Response:
        if not policy_for(request.user).may_administer:
            raise PermissionDenied(_("Only administrators may do this."))
        runs = run_list()[:100]
        return Response(self.get_serializer(runs, many=True).data)
