"""Coupon endpoints: the definitions, the issued coupons (scoped like
customers) and issuing a coupon to customers; parse, call one selector or
service, render."""

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
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.coupons.api.serializers import (
    CouponDefinitionSerializer,
    IssuedCouponSerializer,
    IssueResultSerializer,
    IssueSerializer,
)
from guanxi.coupons.choices import SOURCE_API
from guanxi.coupons.selectors import (
    coupon_definition_get,
    coupon_definition_list,
    issued_coupon_list,
)
from guanxi.coupons.services import coupons_issue, coupons_manage_check
from guanxi.customers.presenters import customer_ref
from guanxi.customers.selectors import customer_scope

__all__ = ["CouponDefinitionViewSet", "IssuedCouponViewSet"]


def _require_role(request: Request) -> None:
    if not policy_for(request.user).active:
        raise PermissionDenied(_("your role may not read coupons"))


@extend_schema_view(
    list=extend_schema(
        tags=["coupons"],
        summary=gettext_lazy("List coupon definitions"),
        description=gettext_lazy("Every coupon definition, by slug."),
        responses={200: CouponDefinitionSerializer(many=True), **ERRORS},
    ),
)
class CouponDefinitionViewSet(viewsets.GenericViewSet[Any]):
    serializer_class = CouponDefinitionSerializer
    pagination_class = NewestFirstPagination
    parser_classes = [JSONParser]

    def get_queryset(self) -> QuerySet[Any]:
        return coupon_definition_list()

    def list(self, request: Request) -> Response:
        _require_role(request)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        tags=["coupons"],
        summary=gettext_lazy("Issue a coupon to customers"),
        description=gettext_lazy(
            "Issue the coupon `slug` to each customer of `customers` in the "
            "caller's scope (source `api`). Idempotent per `key`: a retry issues "
            "nothing twice and answers with the same codes. Customers at the "
            "coupon's per-customer limit are skipped; ids outside the caller's "
            "scope count as unknown. Admins and operations only."
        ),
        request=IssueSerializer,
        responses={201: IssueResultSerializer, 200: IssueResultSerializer, **ERRORS},
    )
    def issue(self, request: Request, slug: str) -> Response:
        coupons_manage_check(actor=request.user)
        definition = coupon_definition_get(slug=slug)
        if not isinstance(request.data, dict):
            raise ValidationFailed(_("expected a JSON object"))
        body = IssueSerializer(data=dict(request.data))
        body.is_valid(raise_exception=True)
        wanted = body.validated_data["customers"]
        visible = list(
            customer_scope(actor=request.user)
            .filter(pk__in=sorted(set(wanted)))
            .values_list("pk", flat=True)
        )
        result = coupons_issue(
            definition=definition,
            customer_ids=visible,
            source=SOURCE_API,
            source_key=body.validated_data["key"],
        )
        policy = policy_for(request.user)
        data = {
            "issued": result.issued,
            "already": result.already,
            "at_limit": result.at_limit,
            "unknown": result.unknown + len(set(wanted)) - len(visible),
            "codes": {
                customer_ref(c, policy=policy): code
                for c, code in sorted(result.codes.items())
            },
        }
        return Response(
            data,
            status=status.HTTP_201_CREATED if result.issued else status.HTTP_200_OK,
        )


@extend_schema_view(
    list=extend_schema(
        tags=["coupons"],
        summary=gettext_lazy("List issued coupons"),
        description=gettext_lazy(
            "Coupons issued to the customers in the caller's scope, newest "
            "first; filter with `definition` (a slug) and `source` (`staff`, "
            "`api`, `journey:<slug>`)."
        ),
        parameters=[
            OpenApiParameter("definition", OpenApiTypes.STR, required=False),
            OpenApiParameter("source", OpenApiTypes.STR, required=False),
        ],
        responses={200: IssuedCouponSerializer(many=True), **ERRORS},
    ),
)
class IssuedCouponViewSet(viewsets.GenericViewSet[Any]):
    serializer_class = IssuedCouponSerializer
    pagination_class = NewestFirstPagination
    parser_classes = [JSONParser]

    def get_queryset(self) -> QuerySet[Any]:
        return issued_coupon_list(actor=self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "policy": policy_for(self.request.user),
        }

    def list(self, request: Request) -> Response:
        _require_role(request)
        rows = self.get_queryset()
        slug = request.query_params.get("definition")
        if slug:
            rows = rows.filter(definition__slug=slug)
        source = request.query_params.get("source")
        if source:
            rows = rows.filter(source=source)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
