"""Routes of the surveys API (mounted under /api/v1/ by guanxi.web.api_urls)."""

from __future__ import annotations

from django.urls import path

from guanxi.surveys.api.views import AnswerViewSet, InvitationViewSet, SurveyViewSet

urlpatterns = [
    path("surveys/", SurveyViewSet.as_view({"get": "list"}), name="api-survey-list"),
    path(
        "surveys/invitations/",
        InvitationViewSet.as_view({"get": "list"}),
        name="api-survey-invitation-list",
    ),
    path(
        "surveys/answers/",
        AnswerViewSet.as_view({"get": "list"}),
        name="api-survey-answer-list",
    ),
]
