"""The coupon pages (admins and operations), mounted at ``coupons/``."""

from __future__ import annotations

from django.urls import path

from guanxi.coupons import views

app_name = "coupons"

urlpatterns = [
    path("", views.definition_list, name="definition-list"),
    path("new/", views.definition_create, name="definition-create"),
    path("<int:pk>/", views.definition_detail, name="definition-detail"),
    path("<int:pk>/edit/", views.definition_edit, name="definition-edit"),
    path("<int:pk>/issue/", views.definition_issue, name="definition-issue"),
]
