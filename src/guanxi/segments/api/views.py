"""Segment endpoints: CRUD, members, counts (of a saved segment or of unsaved rules).

Members and counts come from the selectors in the caller's scope; members are
shown exactly as the customers endpoint shows them (its serializer, so
analysts get pseudonyms). Writes go through the services, which check every
rule with the same messages as the web builder; domain errors become 4xx in
``core.api``.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.access.policies import policy_for
from guanxi.core.api import ERRORS, NewestFirstPagination
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.core.serializers import REQUIRED
from guanxi.customers.api.serializers import CustomerSerializer
from guanxi.insights.selectors import latest_as_of
from guanxi.segments.api.serializers import (
    EXAMPLE_RULES,
    SegmentCountSerializer,
    SegmentRulesSerializer,
    SegmentSerializer,
    SegmentWriteSerializer,
)
from guanxi.segments.models import Segment
from guanxi.segments.rules import rules_check, uses_scores
from guanxi.segments.selectors import (
    segment_count,
    segment_customers_total,
    segment_get,
    segment_list,
    segment_members,
)
from guanxi.segments.services import (
    segment_create,
    segment_delete,
    segment_rules_check,
    segment_update,
)

__all__ = ["SegmentViewSet"]


def _body(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise ValidationFailed(_("expected a JSON object"))
    return dict(request.data)


def _segment(request: Request, pk: Any) -> Segment:
    # A user without a role sees no segment at all.
    if not policy_for(request.user).active:
        raise NotFound(_("segment not found"))
    return segment_get(pk=pk)


def _count(request: Request, rules: Any) -> dict[str, Any]:
    tree = rules_check(rules, lookups=None)
    scored = uses_scores(tree)
    day = latest_as_of() if scored else None
    count = segment_count(actor=request.user, rules=tree, as_of=day)
    total = segment_customers_total(actor=request.user)
    return {
        "count": count,
        "customers": total,
        "share": count / total if total else 0.0,
        "as_of": day,
        "scores": scored,
    }


#: A segment's id is a number: the schema says so, for "/segments/count/" is
#: the count of unsaved rules, not the segment "count" (any other id that is
#: not a number is answered "segment not found").
_ID = OpenApiParameter(
    "id", {"type": "string", "pattern": "^[0-9]+$"}, OpenApiParameter.PATH
)

_RULES_EXAMPLE = OpenApiExample(
    "quadrant = star AND city = 上海 AND NOT tag = complained",
    value={"name": "上海明星客户 Shanghai stars", "rules": EXAMPLE_RULES},
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List segments"),
        description=gettext_lazy(
            "Every saved segment, newest first. Definitions hold no personal data; "
            "members and counts are at their own endpoints, in the caller's scope."
        ),
        responses={200: SegmentSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        parameters=[_ID],
        summary=gettext_lazy("One segment"),
        responses={200: SegmentSerializer, **ERRORS},
    ),
    create=extend_schema(
        summary=gettext_lazy("Create a segment"),
        description=gettext_lazy(
            "Admins and operations. Every rule is checked before anything is "
            "saved; a rule that cannot run is refused with a message naming it."
        ),
        request=SegmentWriteSerializer,
        responses={201: SegmentSerializer, **ERRORS},
        examples=[_RULES_EXAMPLE],
    ),
    update=extend_schema(
        parameters=[_ID],
        summary=gettext_lazy("Replace a segment"),
        request=SegmentWriteSerializer,
        responses={200: SegmentSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        parameters=[_ID],
        summary=gettext_lazy("Change some fields of a segment"),
        request=SegmentWriteSerializer,
        responses={200: SegmentSerializer, **ERRORS},
    ),
    destroy=extend_schema(
        parameters=[_ID],
        summary=gettext_lazy("Delete a segment"),
        responses={204: None, **ERRORS},
    ),
)
class SegmentViewSet(viewsets.GenericViewSet[Segment]):
    """Segments: saved rule-based filters over customers."""

    serializer_class = SegmentSerializer
    pagination_class = NewestFirstPagination
    filter_backends: list[Any] = []
    lookup_value_regex = "[^/]+"
    queryset = Segment.objects.none()  # for the schema

    def get_queryset(self) -> QuerySet[Segment]:
        if not policy_for(self.request.user).active:
            return Segment.objects.none()
        return segment_list()

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self.get_serializer(_segment(request, pk)).data)

    def create(self, request: Request) -> Response:
        values = self._validated(request, partial=False)
        segment = segment_create(
            actor=request.user,
            name=values.get("name"),
            description=values.get("description", ""),
            rules=values.get("rules"),
        )
        return Response(
            self.get_serializer(segment).data, status=status.HTTP_201_CREATED
        )

    def update(self, request: Request, pk: str) -> Response:
        return self._update(request, pk, partial=False)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self._update(request, pk, partial=True)

    def destroy(self, request: Request, pk: str) -> Response:
        segment_delete(actor=request.user, segment=_segment(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, pk: str, *, partial: bool) -> Response:
        segment = _segment(request, pk)
        values = self._validated(request, partial=partial)
        segment = segment_update(
            actor=request.user,
            segment=segment,
            name=values.get("name"),
            description=values.get("description", None if partial else ""),
            rules=values.get("rules"),
        )
        return Response(self.get_serializer(segment).data)

    def _validated(self, request: Request, *, partial: bool) -> dict[str, Any]:
        data = _body(request)
        if not partial:
            # A create or a replace names the segment and gives its rules.
            missing = {
                key: [str(REQUIRED)]
                for key in ("name", "rules")
                if data.get(key) in (None, "")
            }
            if missing:
                raise exceptions.ValidationError(missing)
        serializer = SegmentWriteSerializer(data=data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(
        summary=gettext_lazy("Members of a segment"),
        description=gettext_lazy(
            "The segment's customers in the caller's scope, newest first, shown "
            "as the customers endpoint shows them (pseudonyms for analysts)."
        ),
        responses={200: CustomerSerializer(many=True), **ERRORS},
        parameters=[_ID],
    )
    @action(detail=True, methods=["get"], url_path="members", url_name="members")
    def members(self, request: Request, pk: str) -> Response:
        segment = _segment(request, pk)
        members = (
            segment_members(actor=request.user, rules=segment.rules)
            .prefetch_related("tags")
            .order_by("-id")
        )
        page = self.paginate_queryset(members)
        serializer = CustomerSerializer(
            cast(Any, page), many=True, context={"policy": policy_for(request.user)}
        )
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        summary=gettext_lazy("Count a segment's members"),
        description=gettext_lazy(
            "Members now, in the caller's scope, and their share of the "
            "customers the caller may see."
        ),
        responses={200: SegmentCountSerializer, **ERRORS},
        parameters=[_ID],
    )
    @action(detail=True, methods=["get"], url_path="count", url_name="count")
    def count(self, request: Request, pk: str) -> Response:
        segment = _segment(request, pk)
        return Response(SegmentCountSerializer(_count(request, segment.rules)).data)

    @extend_schema(
        summary=gettext_lazy("Count unsaved rules"),
        description=gettext_lazy(
            "What the visual builder does: check the rules (the same messages as "
            "a save) and count their members in the caller's scope, saving nothing."
        ),
        request=SegmentRulesSerializer,
        responses={200: SegmentCountSerializer, **ERRORS},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="count",
        url_name="count-rules",
        pagination_class=None,
    )
    def count_rules(self, request: Request) -> Response:
        if not policy_for(request.user).active:
            raise NotFound(_("segment not found"))
        data = _body(request)
        if "rules" not in data:
            raise ValidationFailed(str(REQUIRED), field="rules")
        rules = segment_rules_check(data["rules"])
        return Response(SegmentCountSerializer(_count(request, rules)).data)
