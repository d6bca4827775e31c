"""Tag endpoints: the tag list with counts, and a customer's tags (list, add,
remove), scoped like the customers; parse, call one selector or service,
render."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.core.api import ERRORS, JSONParser, NewestFirstPagination
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.core.values import parse_id
from guanxi.customers.choices import TagKind
from guanxi.customers.selectors import (
    customer_get,
    customer_tag_links,
    tag_list_counted,
)
from guanxi.customers.services import customer_tag_add, customer_tag_remove
from guanxi.tags.api.serializers import (
    CustomerTagSerializer,
    CustomerTagWriteSerializer,
    TagSerializer,
)

__all__ = ["CustomerTagViewSet", "TagViewSet"]


class _ByTag(NewestFirstPagination):
    """A customer's tags by tag id (a link has no id of its own)."""

    ordering = "tag_id"


def _customer(request: Request, pk: Any) -> Any:
    number = parse_id(pk)
    if number is None:
        raise NotFound(_("customer not found"))
    return customer_get(actor=request.user, pk=number)


_CUSTOMER = OpenApiParameter(
    "customer_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description=gettext_lazy("Customer number."),
)
_TAG = OpenApiParameter(
    "tag_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description=gettext_lazy("Tag id."),
)


@extend_schema_view(
    list=extend_schema(
        tags=["tags"],
        summary=gettext_lazy("List tags"),
        description=gettext_lazy(
            "Every tag, manual and automatic, with how many of the caller's "
            "customers have it (an account manager's counts are of their own "
            "customers). Filter with `kind` and `q` (part of the name)."
        ),
        parameters=[
            OpenApiParameter(
                "kind", OpenApiTypes.STR, enum=list(TagKind.values), required=False
            ),
            OpenApiParameter("q", OpenApiTypes.STR, required=False),
        ],
        responses={200: TagSerializer(many=True), **ERRORS},
    ),
)
class TagViewSet(viewsets.GenericViewSet[Any]):
    """Tags: the vocabulary, with counts in the caller's scope."""

    serializer_class = TagSerializer
    pagination_class = NewestFirstPagination

    def get_queryset(self) -> QuerySet[Any]:
        tags = tag_list_counted(actor=self.request.user)
        kind = self.request.query_params.get("kind")
        if kind is not None:
            if kind not in TagKind.values:
                raise ValidationFailed(
                    _("not a valid kind (expected one of: %(choices)s)")
                    % {"choices": ", ".join(TagKind.values)},
                    field="kind",
                )
            tags = tags.filter(kind=kind)
        text = " ".join(self.request.query_params.get("q", "").split())[:64]
        if text:
            tags = tags.filter(name__icontains=text)
        return tags

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(
        tags=["tags"],
        parameters=[_CUSTOMER],
        summary=gettext_lazy("A customer's tags"),
        description=gettext_lazy(
            "The customer's tags with who set each and when. Scoped like the "
            "customers: someone else's customer is answered as missing; "
            "analysts, who know customers by pseudonym only, get 404."
        ),
        responses={200: CustomerTagSerializer(many=True), **ERRORS},
    ),
    create=extend_schema(
        tags=["tags"],
        parameters=[_CUSTOMER],
        summary=gettext_lazy("Tag a customer"),
        description=gettext_lazy(
            "Give `tag` (an id) or `name`. A name no tag has yet creates a manual "
            "tag if the caller's role may create tags. Tagging twice changes "
            "nothing (200). Automatic tags are set by the scoring run only."
        ),
        request=CustomerTagWriteSerializer,
        responses={201: CustomerTagSerializer, 200: CustomerTagSerializer, **ERRORS},
    ),
    destroy=extend_schema(
        tags=["tags"],
        parameters=[_CUSTOMER, _TAG],
        summary=gettext_lazy("Take a tag off a customer"),
        responses={204: None, **ERRORS},
    ),
)
class CustomerTagViewSet(viewsets.GenericViewSet[Any]):
    """The tags of one customer."""

    serializer_class = CustomerTagSerializer
    parser_classes = [JSONParser]
    pagination_class = _ByTag
    lookup_field = "tag_id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return customer_tag_links(customer_id=0)
        customer = _customer(self.request, self.kwargs.get("customer_id"))
        return customer_tag_links(customer_id=customer.pk)

    def list(self, request: Request, customer_id: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request: Request, customer_id: str) -> Response:
        customer = _customer(request, customer_id)
        if not isinstance(request.data, dict):
            raise ValidationFailed(_("expected a JSON object"))
        write = CustomerTagWriteSerializer(data=dict(request.data))
        write.is_valid(raise_exception=True)
        values = write.validated_data
        tag, name = values.get("tag"), values.get("name")
        if (tag is None) == (name is None):
            raise ValidationFailed(_("give either a tag or a name"), field="tag")
        link, created = customer_tag_add(
            actor=request.user,
            customer=customer,
            **({"tag": tag} if tag is not None else {"name": name}),
        )
        link = customer_tag_links(customer_id=customer.pk).get(tag_id=link.tag_id)
        return Response(
            self.get_serializer(link).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def destroy(self, request: Request, customer_id: str, tag_id: str) -> Response:
        customer = _customer(request, customer_id)
        if parse_id(tag_id) is None:
            raise NotFound(_("the customer does not have this tag"))
        removed = customer_tag_remove(actor=request.user, customer=customer, tag=tag_id)
        if not removed:
            raise NotFound(_("the customer does not have this tag"))
        return Response(status=status.HTTP_204_NO_CONTENT)
