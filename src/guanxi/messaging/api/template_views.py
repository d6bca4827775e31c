"""Message template endpoints: list, create, retrieve, replace, change, delete.

The same checks and messages as the web editor (``stored.template_check``
through ``services.template_save``): a template that does not render is
refused with its part and line, and nothing is stored. Who sees which
templates is ``stored.template_list``'s (the service ones only for roles that
use but do not write templates).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.access.policies import policy_for
from guanxi.core.api import ERRORS, NewestFirstPagination
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.messaging.api.template_serializers import (
    TemplateSerializer,
    TemplateWriteSerializer,
)
from guanxi.messaging.models import Template
from guanxi.messaging.services import template_delete, template_save
from guanxi.messaging.stored import (
    FIELDS,
    TemplateFields,
    template_get,
    template_list,
)

__all__ = ["TemplateViewSet"]


_EXAMPLE = OpenApiExample(
    "An SMS in both languages",
    value={
        "name": "order shipped",
        "channel": "sms",
        "purpose": "service",
        "body_zh": "{{ name }}，您的订单已发货。",
        "body_en": "{{ name }}, your order is on its way.",
    },
    request_only=True,
)


def _user(request: Request) -> None:
    policy = policy_for(request.user)
    if not policy.active:
        raise NotFound(_("template not found"))
    if not policy.may_use_templates:
        raise PermissionDenied(_("your role may not use message templates"))


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List message templates"),
        description=gettext_lazy(
            "Newest first. Admins and operations see every template; service "
            "and account managers the service templates."
        ),
        responses={200: TemplateSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        summary=gettext_lazy("One message template"),
        responses={200: TemplateSerializer, **ERRORS},
    ),
    create=extend_schema(
        summary=gettext_lazy("Create a message template"),
        description=gettext_lazy(
            "Admins and operations. Chinese, English or both; every part must "
            "render (syntax, known variables, the sandbox) and keep the "
            "channel's limits, or it is refused with the part and the line."
        ),
        request=TemplateWriteSerializer,
        responses={201: TemplateSerializer, **ERRORS},
        examples=[_EXAMPLE],
    ),
    update=extend_schema(
        summary=gettext_lazy("Replace a message template"),
        request=TemplateWriteSerializer,
        responses={200: TemplateSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary=gettext_lazy("Change some fields of a message template"),
        request=TemplateWriteSerializer,
        responses={200: TemplateSerializer, **ERRORS},
    ),
    destroy=extend_schema(
        summary=gettext_lazy("Delete a message template"),
        description=gettext_lazy(
            "Messages already queued from it keep their own copy of the text."
        ),
        responses={204: None, **ERRORS},
    ),
)
class TemplateViewSet(viewsets.GenericViewSet[Template]):
    """Stored message templates."""

    serializer_class = TemplateSerializer
    pagination_class = NewestFirstPagination
    filter_backends: list[Any] = []
    queryset = Template.objects.none()  # for the schema

    def get_queryset(self) -> QuerySet[Template]:
        return template_list(actor=self.request.user).select_related(
            "created_by", "updated_by"
        )

    def list(self, request: Request) -> Response:
        _user(request)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        _user(request)
        return Response(
            self.get_serializer(template_get(actor=request.user, pk=pk)).data
        )

    def create(self, request: Request) -> Response:
        _user(request)
        fields = TemplateFields(**self._values(request, {}))
        saved = template_save(actor=request.user, fields=fields)
        return Response(self.get_serializer(saved).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str) -> Response:
        return self._change(request, pk, partial=False)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self._change(request, pk, partial=True)

    def destroy(self, request: Request, pk: str) -> Response:
        _user(request)
        template_delete(
            actor=request.user, template=template_get(actor=request.user, pk=pk)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _change(self, request: Request, pk: str, *, partial: bool) -> Response:
        _user(request)
        template = template_get(actor=request.user, pk=pk)
        kept = {name: getattr(template, name) for name in FIELDS} if partial else {}
        fields = TemplateFields(**self._values(request, kept))
        saved = template_save(actor=request.user, fields=fields, template=template)
        return Response(self.get_serializer(saved).data)

    def _values(self, request: Request, kept: dict[str, str]) -> dict[str, str]:
        if not isinstance(request.data, dict):
            raise ValidationFailed(_("expected a JSON object"))
        serializer = TemplateWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        given = dict(serializer.validated_data)
        return {name: str(given.get(name, kept.get(name, ""))) for name in FIELDS}
