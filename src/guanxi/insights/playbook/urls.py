"""The playbook editor (mounted at ``insights/playbook/``)."""

from __future__ import annotations

from django.urls import path

from guanxi.insights.playbook import views

app_name = "playbook"

urlpatterns = [
    path("", views.playbook_list, name="list"),
    path("new/", views.playbook_create, name="create"),
    path("<int:pk>/", views.playbook_edit, name="edit"),
    path("<int:pk>/delete/", views.playbook_delete, name="delete"),
]
