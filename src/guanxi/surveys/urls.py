"""The surveys' staff pages, mounted at ``surveys/``."""

from __future__ import annotations

from django.urls import path

from guanxi.surveys import views

app_name = "surveys"

urlpatterns = [
    path("", views.home, name="home"),
    path("answers/", views.answers, name="answers"),
    path("<str:kind>/edit/", views.edit, name="edit"),
    path("<str:kind>/send/", views.send, name="send"),
]
