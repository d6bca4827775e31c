"""Routes of the coupons API (mounted under /api/v1/ by guanxi.web.api_urls)."""

from __future__ import annotations

from django.urls import path

from guanxi.coupons.api.views import CouponDefinitionViewSet, IssuedCouponViewSet

urlpatterns = [
    path(
        "coupons/definitions/",
        CouponDefinitionViewSet.as_view({"get": "list"}),
        name="api-coupon-definition-list",
    ),
    path(
        "coupons/definitions/<str:slug>/issue/",
        CouponDefinitionViewSet.as_view({"post": "issue"}),
        name="api-coupon-issue",
    ),
    path(
        "coupons/issued/",
        IssuedCouponViewSet.as_view({"get": "list"}),
        name="api-coupon-issued-list",
    ),
]
