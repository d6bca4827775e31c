"""Reads for staff users: the team list, one colleague, a person's language
and API token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from guanxi.access.choices import Role
from guanxi.access.models import ApiToken, StaffProfile
from guanxi.access.policies import role_policy
from guanxi.access.twofactor import totp_enrolled
from guanxi.core.errors import NotFound

__all__ = [
    "TokenInfo",
    "api_token_info",
    "staff_get",
    "staff_language",
    "staff_list",
    "staff_round_robin",
    "staff_turn_next",
    "totp_enrolled",
]


def staff_list() -> QuerySet[Any]:
    """Every user, active first, then by username, with their profile."""
    return (
        get_user_model()
        .objects.select_related("staff_profile")
        .order_by("-is_active", "username")
    )


def staff_round_robin() -> list[int]:
    """The ids of the active users who take, in turn, the care tasks of
    customers without an account manager (in id order)."""
    roles = [r for r in Role if role_policy(r).takes_round_robin_care_tasks]
    return list(
        get_user_model()
        .objects.filter(
            is_active=True, is_superuser=False, staff_profile__role__in=roles
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def staff_turn_next(*, last_owner_id: int | None) -> tuple[list[int], int]:
    """The team of :func:`staff_round_robin` and the position in it of whose
    turn is next: the member after ``last_owner_id`` (the owner of the newest
    record given by turn: a care task, a ticket), the first after the last
    member, and the first too when that owner is None or left the team."""
    team = staff_round_robin()
    if last_owner_id in team:
        return team, (team.index(last_owner_id) + 1) % len(team)
    return team, 0


def staff_get(*, pk: int) -> Any:
    user = staff_list().filter(pk=pk).first()
    if user is None:
        raise NotFound("no such user")
    return user


def staff_language(*, user: Any) -> str:
    """The language ``user`` chose ("" for the browser's)."""
    profile = StaffProfile.objects.filter(user=user).only("language").first()
    return profile.language if profile is not None else ""


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown of a token after it was created: never its key."""

    created: Any
    prefix: str


def api_token_info(*, user: Any) -> TokenInfo | None:
    token = ApiToken.objects.filter(user=user).first()
    if token is None:
        return None
    return TokenInfo(created=token.created, prefix=token.prefix)
