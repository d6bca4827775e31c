"""The layout's own pages: dashboard, login and logout (each app mounts its own)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from guanxi.web import views

app_name = "web"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard/orders/", views.dashboard_orders, name="dashboard-orders"),
    path(
        "login/",
        views.StaffLoginView.as_view(
            template_name="web/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
