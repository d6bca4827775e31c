"""Tag pages: the customer page's tag panel (under ``customers/``) and the tags
settings page (``settings/tags/``); mounted at the site's root."""

from __future__ import annotations

from django.urls import path

from guanxi.tags import views

app_name = "tags"

urlpatterns = [
    path(
        "customers/<int:pk>/tags/",
        views.customer_tag_panel,
        name="customer-tags",
    ),
    path(
        "customers/<int:pk>/preferences/",
        views.customer_preferences_view,
        name="customer-preferences",
    ),
    path(
        "customers/<int:pk>/tags/add/",
        views.customer_tag_add_view,
        name="customer-tag-add",
    ),
    path(
        "customers/<int:pk>/tags/<int:tag_pk>/remove/",
        views.customer_tag_remove_view,
        name="customer-tag-remove",
    ),
    path("tags/suggest/", views.tag_suggest, name="tag-suggest"),
    path("settings/tags/", views.tag_settings, name="tag-settings"),
    path("settings/tags/new/", views.tag_create_view, name="tag-create"),
    path("settings/tags/<int:pk>/", views.tag_update_view, name="tag-update"),
    path("settings/tags/<int:pk>/merge/", views.tag_merge_view, name="tag-merge"),
    path("settings/tags/<int:pk>/delete/", views.tag_delete_view, name="tag-delete"),
]
