"""The public answer page of a survey link (no login), mounted at ``s/``."""

from __future__ import annotations

from django.urls import path

from guanxi.surveys import public_views

app_name = "surveys-public"

urlpatterns = [path("<str:token>/", public_views.answer, name="answer")]
