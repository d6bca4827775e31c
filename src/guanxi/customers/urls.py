"""Customer pages (mounted at ``customers/``)."""

from __future__ import annotations

from django.urls import path

from guanxi.customers import activity_views, edit_views, list_views, views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="customer-list"),
    path("<int:pk>/", views.customer_detail, name="customer-detail"),
    # Saved views and bulk actions of the list (customers/list_views.py).
    path("views/save/", list_views.saved_view_save, name="saved-view-save"),
    path(
        "views/<int:pk>/delete/",
        list_views.saved_view_delete_view,
        name="saved-view-delete",
    ),
    path("bulk/new/", list_views.bulk_new, name="bulk-new"),
    path("bulk/<int:pk>/", list_views.bulk_detail, name="bulk-detail"),
    path("bulk/<int:pk>/confirm/", list_views.bulk_confirm, name="bulk-confirm"),
    path("bulk/<int:pk>/progress/", list_views.bulk_progress, name="bulk-progress"),
    # Writing one customer (customers/edit_views.py, customers/activity_views.py).
    path("new/", edit_views.customer_create_view, name="customer-create"),
    path("contact-check/", edit_views.contact_check, name="contact-check"),
    path("<int:pk>/edit/", edit_views.customer_edit, name="customer-edit"),
    path("<int:pk>/assign/", edit_views.customer_assign_view, name="customer-assign"),
    path(
        "<int:pk>/activities/",
        activity_views.activity_log_view,
        name="activity-log",
    ),
    path(
        "<int:pk>/activities/<int:activity_pk>/edit/",
        activity_views.activity_edit,
        name="activity-edit",
    ),
    path(
        "<int:pk>/activities/<int:activity_pk>/delete/",
        activity_views.activity_delete_view,
        name="activity-delete",
    ),
]
