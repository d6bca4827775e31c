"""Care endpoints: the caller's tasks and warnings (scoped like the inbox)
and closing a task; parse, call one selector or service, render."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.access.policies import policy_for
from guanxi.care.api.serializers import (
    TaskCloseSerializer,
    TaskSerializer,
    WarningSerializer,
)
from guanxi.care.choices import TaskStatus, WarningStatus
from guanxi.care.selectors import task_get, task_scope, warning_scope
from guanxi.care.services import task_close
from guanxi.core.api import ERRORS, JSONParser, NewestFirstPagination
from guanxi.core.errors import PermissionDenied, ValidationFailed

__all__ = ["TaskViewSet", "WarningViewSet"]


def _require_tasks(request: Request) -> None:
    if not policy_for(request.user).may_work_care_tasks:
        raise PermissionDenied(_("your role may not work care tasks"))


def _status(request: Request, choices: Any) -> str | None:
    value = request.query_params.get("status")
    if value is not None and value not in choices.values:
        raise ValidationFailed(
            _("not a valid status (expected one of: %(choices)s)")
            % {"choices": ", ".join(choices.values)},
            field="status",
        )
    return value


@extend_schema_view(
    list=extend_schema(
        tags=["care"],
        summary=gettext_lazy("List care tasks"),
        description=gettext_lazy(
            "The caller's care tasks (service and admins: the team's), newest "
            "first; an account manager sees only the tasks of their own "
            "customers. Filter with `status`."
        ),
        parameters=[
            OpenApiParameter(
                "status", OpenApiTypes.STR, enum=list(TaskStatus.values), required=False
            )
        ],
        responses={200: TaskSerializer(many=True), **ERRORS},
    ),
)
class TaskViewSet(viewsets.GenericViewSet[Any]):
    serializer_class = TaskSerializer
    pagination_class = NewestFirstPagination
    parser_classes = [JSONParser]

    def get_queryset(self) -> QuerySet[Any]:
        return task_scope(actor=self.request.user).select_related("warning", "owner")

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "policy": policy_for(self.request.user),
        }

    def list(self, request: Request) -> Response:
        _require_tasks(request)
        rows = self.get_queryset()
        status = _status(request, TaskStatus)
        if status is not None:
            rows = rows.filter(status=status)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        tags=["care"],
        summary=gettext_lazy("Close a care task"),
        description=gettext_lazy(
            "Close an open task with its `outcome` (reached, not_reached), and "
            "optionally `leave_reason`, `remedy_offered` and `note`; the task is "
            "written on the customer's timeline. Bad input changes nothing."
        ),
        request=TaskCloseSerializer,
        responses={200: TaskSerializer, **ERRORS},
    )
    def close(self, request: Request, pk: str) -> Response:
        _require_tasks(request)
        task_get(actor=request.user, pk=pk)  # 404 before any message about the body
        if not isinstance(request.data, dict):
            raise ValidationFailed(_("expected a JSON object"))
        body = TaskCloseSerializer(data=dict(request.data))
        body.is_valid(raise_exception=True)
        task = task_close(actor=request.user, task_id=pk, **body.validated_data)
        return Response(
            self.get_serializer(task_get(actor=request.user, pk=task.pk)).data
        )


@extend_schema_view(
    list=extend_schema(
        tags=["care"],
        summary=gettext_lazy("List warnings"),
        description=gettext_lazy(
            "Warnings of the caller's customers, newest first, with each signal's "
            "details and its reason in words. Filter with `status`."
        ),
        parameters=[
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                enum=list(WarningStatus.values),
                required=False,
            )
        ],
        responses={200: WarningSerializer(many=True), **ERRORS},
    ),
)
class WarningViewSet(viewsets.GenericViewSet[Any]):
    serializer_class = WarningSerializer
    pagination_class = NewestFirstPagination

    def get_queryset(self) -> QuerySet[Any]:
        return warning_scope(actor=self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "policy": policy_for(self.request.user),
        }

    def list(self, request: Request) -> Response:
        _require_tasks(request)
        rows = self.get_queryset()
        status = _status(request, WarningStatus)
        if status is not None:
            rows = rows.filter(status=status)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
