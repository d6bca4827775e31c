"""Journey endpoints: the journeys (read by those who see journeys; created,
changed and switched by admins), the enrolments (scoped like customers,
cursor pages) and a journey's effect report. Parse, call one selector or
service, render."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.access.policies import policy_for
from guanxi.core.api import ERRORS, JSONParser, NewestFirstPagination
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.journeys.api.serializers import (
    EnrolmentSerializer,
    JourneyCreateSerializer,
    JourneySerializer,
    JourneyUpdateSerializer,
)
from guanxi.journeys.report import journey_report, report_filter
from guanxi.journeys.selectors import enrolment_list, journey_get, journey_rows
from guanxi.journeys.services import journey_create, journey_edit, journey_set_state

__all__ = ["EnrolmentViewSet", "JourneyViewSet"]


def _reader(request: Request) -> None:
    if not policy_for(request.user).may_send_broadcasts:
        raise PermissionDenied(_("your role may not see journeys"))


def _admin(request: Request) -> None:
    if not policy_for(request.user).may_administer:
        raise PermissionDenied(_("only admins build journeys"))


def _body(request: Request, serializer: type[Any]) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise ValidationFailed(_("expected a JSON object"))
    body = serializer(data=dict(request.data))
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


REPORT_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, required=False),
    OpenApiParameter("end", OpenApiTypes.DATE, required=False),
    OpenApiParameter("days", OpenApiTypes.INT, required=False),
]


@extend_schema_view(
    list=extend_schema(
        tags=["journeys"],
        summary=gettext_lazy("List journeys"),
        description=gettext_lazy(
            "Every journey with its state and current definition. Admins and "
            "operations."
        ),
        responses={200: JourneySerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        tags=["journeys"],
        summary=gettext_lazy("Read a journey"),
        responses={200: JourneySerializer, **ERRORS},
    ),
    create=extend_schema(
        tags=["journeys"],
        summary=gettext_lazy("Create a journey"),
        description=gettext_lazy(
            "A new journey, switched off, with its first version. A refused "
            "definition answers 400 with the message naming the step "
            "(`definition`). Admins only."
        ),
        request=JourneyCreateSerializer,
        responses={201: JourneySerializer, **ERRORS},
    ),
    update=extend_schema(
        tags=["journeys"],
        summary=gettext_lazy("Change a journey"),
        description=gettext_lazy(
            "New names, rules and definition; a changed definition is a new "
            "version (customers in flight stay on theirs). Admins only."
        ),
        request=JourneyUpdateSerializer,
        responses={200: JourneySerializer, **ERRORS},
    ),
)
class JourneyViewSet(viewsets.GenericViewSet[Any]):
    serializer_class = JourneySerializer
    pagination_class = NewestFirstPagination
    parser_classes = [JSONParser]
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[Any]:
        return journey_rows()

    def list(self, request: Request) -> Response:
        _reader(request)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(JourneySerializer(page, many=True).data)

    def retrieve(self, request: Request, slug: str) -> Response:
        _reader(request)
        return Response(JourneySerializer(journey_get(slug=slug)).data)

    def create(self, request: Request) -> Response:
        _admin(request)
        values = _body(request, JourneyCreateSerializer)
        journey = journey_create(actor=request.user, **values)
        return Response(
            JourneySerializer(journey_get(slug=journey.slug)).data,
            status=status.HTTP_201_CREATED,
        )

    def update(self, request: Request, slug: str) -> Response:
        _admin(request)
        journey = journey_get(slug=slug)
        values = _body(request, JourneyUpdateSerializer)
        return Response(
            JourneySerializer(
                journey_edit(actor=request.user, journey=journey, **values)
            ).data
        )

    def _switch(self, request: Request, slug: str, *, on: bool) -> Response:
        journey = journey_set_state(actor=request.user, slug=slug, on=on)
        return Response(JourneySerializer(journey_get(slug=journey.slug)).data)

    @extend_schema(
        tags=["journeys"],
        summary=gettext_lazy("Switch a journey on"),
        description=gettext_lazy("Admins only; events count from now."),
        request=None,
        responses={200: JourneySerializer, **ERRORS},
    )
    def enable(self, request: Request, slug: str) -> Response:
        return self._switch(request, slug, on=True)

    @extend_schema(
        tags=["journeys"],
        summary=gettext_lazy("Switch a journey off"),
        description=gettext_lazy("Admins only."),
        request=None,
        responses={200: JourneySerializer, **ERRORS},
    )
    def disable(self, request: Request, slug: str) -> Response:
        return self._switch(request, slug, on=False)

    @extend_schema(
        tags=["journeys"],
        summary=gettext_lazy("A journey's effect"),
        description=gettext_lazy(
            "Per journey and step, of the entries from `start` to `end` (both "
            "included; default the last 90 days) of the customers in the "
            "caller's scope: entered, sent, delivered, opened, clicked, "
            "unsubscribed, converted (a purchase within `days` days, default "
            "30), revenue, coupons; and the lift against the holdout group "
            "(conversion and revenue per customer, 95 % intervals, sample "
            "sizes, a verdict: `too_small`, `unclear`, `higher`, `lower`)."
        ),
        parameters=REPORT_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def report(self, request: Request, slug: str) -> Response:
        _reader(request)
        journey = journey_get(slug=slug)
        flt = report_filter(
            request.query_params, today=timezone.localdate(), strict=True
        )
        found = journey_report(
            actor=request.user,
            journey=journey,
            start=flt.start,
            end=flt.end,
            days=flt.days,
        )
        return Response(found.as_dict())


@extend_schema_view(
    list=extend_schema(
        tags=["journeys"],
        summary=gettext_lazy("List enrolments"),
        description=gettext_lazy(
            "Enrolments of the customers in the caller's scope, newest first; "
            "filter with `journey` (a slug) and `customer` (a number)."
        ),
        parameters=[
            OpenApiParameter("journey", OpenApiTypes.STR, required=False),
            OpenApiParameter("customer", OpenApiTypes.INT, required=False),
        ],
        responses={200: EnrolmentSerializer(many=True), **ERRORS},
    ),
)
class EnrolmentViewSet(viewsets.GenericViewSet[Any]):
    serializer_class = EnrolmentSerializer
    pagination_class = NewestFirstPagination
    parser_classes = [JSONParser]

    def get_queryset(self) -> QuerySet[Any]:
        return enrolment_list(actor=self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "policy": policy_for(self.request.user),
        }

    def list(self, request: Request) -> Response:
        _reader(request)
        journey = request.query_params.get("journey", "")
        raw = request.query_params.get("customer")
        customer = None
        if raw is not None:
            if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
                raise ValidationFailed(
                    _("customer: a customer number."), field="customer"
                )
            customer = int(raw)
        rows = enrolment_list(
            actor=request.user,
            journey=journey_get(slug=journey) if journey else None,
            customer_id=customer,
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
