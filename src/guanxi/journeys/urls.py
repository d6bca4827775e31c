"""Journeys pages (mounted at ``journeys/``)."""

from __future__ import annotations

from django.urls import path

from guanxi.journeys import builder_views, report_views, views

app_name = "journeys"

urlpatterns = [
    path("", views.journey_list_view, name="list"),
    path("playbooks/", views.journey_playbooks_view, name="playbooks"),
    path("new/", builder_views.journey_new_view, name="new"),
    path("<slug:slug>/", views.journey_detail_view, name="detail"),
    path("<slug:slug>/dry-run/", views.journey_dry_run_view, name="dry-run"),
    path("<slug:slug>/state/", views.journey_state_view, name="state"),
    path("<slug:slug>/report/", report_views.journey_report_view, name="report"),
    path("<slug:slug>/edit/", builder_views.journey_edit_view, name="edit"),
]
