"""Customer and interaction endpoints: parse, call one selector or service, render.

Scope comes from the selectors, what a role sees from ``customer_card``, writes and
their rules from the services; domain errors become 4xx in ``core.api``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.access.policies import Policy, policy_for
from guanxi.audit.services import customer_viewed
from guanxi.core.api import ERRORS, ByPseudonymPagination, NewestFirstPagination
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.values import parse_id
from guanxi.customers.api.serializers import (
    CUSTOMER_PROFILE_FIELDS,
    CustomerSerializer,
    CustomerWriteSerializer,
    InteractionSerializer,
    InteractionWriteSerializer,
)
from guanxi.customers.filtersets import CustomerFilterSet
from guanxi.customers.models import Customer
from guanxi.customers.selectors import customer_get, customer_list
from guanxi.customers.services import (
    customer_create,
    customer_update,
    interaction_create,
)

__all__ = ["CustomerViewSet", "InteractionViewSet"]


def _policy(request: Request) -> Policy:
    return policy_for(request.user)


def _as_dict(data: Any) -> dict[str, Any]:
    """The request body as a plain dict: a JSON object, or a form's values (every
    value of a list field such as ``tags``, the last value of the others)."""
    if isinstance(data, QueryDict):
        return {
            key: data.getlist(key) if key in _LIST_FIELDS else data.get(key)
            for key in data
        }
    if not isinstance(data, dict):
        raise ValidationFailed(_("expected a JSON object"))
    return dict(data)


_LIST_FIELDS = frozenset({"tags"})


def _customer_for_api(request: Request, pk: Any) -> Customer:
    # customer_get answers 404 to roles that know customers by pseudonym only.
    number = parse_id(pk)
    if number is None:
        raise NotFound(_("customer not found"))
    return customer_get(actor=request.user, pk=number)


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List customers"),
        description=gettext_lazy(
            "Customers in the caller's scope, newest first. Account managers see "
            "only their own customers; operations see masked contact fields; "
            "analysts see pseudonymous ids and no names or contact fields, "
            "ordered by pseudonym."
        ),
        responses={200: CustomerSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        summary=gettext_lazy("One customer"),
        responses={200: CustomerSerializer, **ERRORS},
    ),
    create=extend_schema(
        summary=gettext_lazy("Create a customer"),
        request=CustomerWriteSerializer,
        responses={201: CustomerSerializer, **ERRORS},
    ),
    update=extend_schema(
        summary=gettext_lazy("Replace a customer's profile"),
        description=gettext_lazy(
            "Profile fields left out are cleared; `assigned_manager` changes only "
            "when given."
        ),
        request=CustomerWriteSerializer,
        responses={200: CustomerSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary=gettext_lazy("Change some fields of a customer"),
        request=CustomerWriteSerializer,
        responses={200: CustomerSerializer, **ERRORS},
    ),
)
class CustomerViewSet(viewsets.GenericViewSet[Customer]):
    """Customers: list with filters, detail, create, update."""

    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet
    pagination_class = NewestFirstPagination
    # Any segment reaches the view, so /customers/0.5/ is this API's 404.
    lookup_value_regex = "[^/]+"
    queryset = Customer.objects.none()  # for the schema; the real one is scoped

    def get_queryset(self) -> QuerySet[Customer]:
        return customer_list(actor=self.request.user).prefetch_related("tags")

    @property
    def paginator(self) -> Any:
        """Newest first; by pseudonym for roles that know customers by it."""
        if not hasattr(self, "_paginator"):
            known = _policy(self.request).knows_customer_numbers
            self._paginator = (
                NewestFirstPagination() if known else ByPseudonymPagination()
            )
        return self._paginator

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "policy": _policy(self.request)}

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        data = self.get_serializer(page, many=True).data
        return self.get_paginated_response(data)

    def retrieve(self, request: Request, pk: str) -> Response:
        customer = _customer_for_api(request, pk)
        customer_viewed(actor=request.user, customer_id=customer.pk, via="api")
        return Response(self.get_serializer(customer).data)

    def create(self, request: Request) -> Response:
        values = self._validated(request, _as_dict(request.data))
        customer = customer_create(actor=request.user, **values)
        return Response(
            self.get_serializer(customer).data, status=status.HTTP_201_CREATED
        )

    def update(self, request: Request, pk: str) -> Response:
        return self._update(request, pk, replace=True)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self._update(request, pk, replace=False)

    def _update(self, request: Request, pk: str, *, replace: bool) -> Response:
        customer = _customer_for_api(request, pk)
        data = _as_dict(request.data)
        if replace:
            data = {**CUSTOMER_PROFILE_FIELDS, **data}
        values = self._validated(request, data)
        customer = customer_update(actor=request.user, customer=customer, **values)
        return Response(self.get_serializer(customer).data)

    def _validated(self, request: Request, data: dict[str, Any]) -> dict[str, Any]:
        policy = _policy(request)
        # Refuse before validating, so a role that may not write never learns
        # more than that (the services check the same flags again).
        if not policy.may_edit_customers:
            raise PermissionDenied(_("your role may not edit customers"))
        if "assigned_manager" in data and not policy.may_assign_manager:
            raise PermissionDenied(_("your role may not assign account managers"))
        serializer = CustomerWriteSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


@extend_schema_view(
    create=extend_schema(
        summary=gettext_lazy("Record an interaction"),
        description=gettext_lazy(
            "Idempotent when `source` and `external_id` are given: recording the "
            "same interaction again returns the stored one (200) unchanged."
        ),
        request=InteractionWriteSerializer,
        responses={201: InteractionSerializer, 200: InteractionSerializer, **ERRORS},
    ),
)
class InteractionViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet[Any]):
    """Interactions: something a customer did that is not an order."""

    serializer_class = InteractionSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not _policy(request).may_edit_customers:
            raise PermissionDenied(_("your role may not record interactions"))
        write = InteractionWriteSerializer(data=_as_dict(request.data))
        write.is_valid(raise_exception=True)
        values = write.validated_data
        interaction, created = interaction_create(
            actor=request.user,
            customer=values["customer"],
            kind=values["kind"],
            occurred_at=values["occurred_at"],
            **{
                field: values[field]
                for field in ("channel", "note", "source", "external_id")
                if field in values
            },
        )
        serializer = InteractionSerializer(
            interaction, context={"policy": _policy(request)}
        )
        return Response(
            serializer.data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
