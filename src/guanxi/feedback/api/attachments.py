"""Ticket attachments over the API: the files of a ticket (type, size, when,
by what; the name for roles that see contact data in full) and adding files
to it by a multipart upload (``files``, each checked by its content)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import parsers, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from guanxi.access.policies import policy_for
from guanxi.core.api import ERRORS
from guanxi.core.errors import PermissionDenied
from guanxi.feedback.choices import AttachmentSource
from guanxi.feedback.files import (
    UploadTooLarge,
    attachment_limits,
    too_large_message,
)
from guanxi.feedback.models import Attachment
from guanxi.feedback.selectors import ticket_attachments, ticket_get
from guanxi.feedback.services import attachments_add

__all__ = ["AttachmentSerializer", "TicketAttachmentsView"]


class AttachmentSerializer(serializers.ModelSerializer[Attachment]):
    name = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "name",
            "content_type",
            "size",
            "sha256",
            "source",
            "created_at",
        ]

    def get_name(self, attachment: Attachment) -> str | None:
        """The file's name (cleaned), or null for roles that see contact data
        masked or not at all (a name can hold a person's)."""
        return attachment.name if self.context["policy"].sees_contact_data else None


class _Upload(serializers.Serializer):  # type: ignore[type-arg]
    files = serializers.ListField(child=serializers.FileField())


class _Added(serializers.Serializer):  # type: ignore[type-arg]
    added = AttachmentSerializer(many=True)
    duplicates = serializers.IntegerField()


class TicketAttachmentsView(APIView):
    parser_classes = [parsers.MultiPartParser]

    def _policy(self) -> Any:
        policy = policy_for(self.request.user)
        if not policy.active:
            raise PermissionDenied(_("Your role may not see tickets."))
        return policy

    @extend_schema(
        tags=["feedback"],
        summary=gettext_lazy("A ticket's attachments"),
        responses={200: AttachmentSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, pk: str) -> Response:
        policy = self._policy()
        ticket = ticket_get(actor=request.user, pk=pk)
        rows = list(ticket_attachments(ticket=ticket)[:100])
        return Response(
            AttachmentSerializer(rows, many=True, context={"policy": policy}).data
        )

    @extend_schema(
        tags=["feedback"],
        summary=gettext_lazy("Add attachments to a ticket"),
        description=gettext_lazy(
            "A multipart upload of up to 5 `files` of at most 5 MB each (the "
            "settings), 20 per ticket. The type is read from the content: "
            "JPEG, PNG, GIF, WebP, PDF or plain text; anything else is refused "
            "and nothing is added. A file already on the ticket is kept once "
            "(counted in `duplicates`)."
        ),
        request={"multipart/form-data": _Upload},
        responses={
            201: _Added,
            413: OpenApiResponse(description=gettext_lazy("The upload is too large")),
            **ERRORS,
        },
    )
    def post(self, request: Request, pk: str) -> Response:
        policy = self._policy()
        ticket_get(actor=request.user, pk=pk)  # 404 before reading the body
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = attachment_limits().max_request_bytes + 1
        if length > attachment_limits().max_request_bytes:
            raise UploadTooLarge(too_large_message())
        uploads = [(f, f.name) for f in request.FILES.getlist("files")]
        result = attachments_add(
            actor=request.user,
            ticket_id=pk,
            files=uploads,
            source=AttachmentSource.API,
        )
        context = {"policy": policy}
        return Response(
            {
                "added": AttachmentSerializer(
                    result.added, many=True, context=context
                ).data,
                "duplicates": result.duplicates,
            },
            status=201,
        )
