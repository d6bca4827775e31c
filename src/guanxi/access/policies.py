"""What each role may see and do. The one place these rules are written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from guanxi.access.choices import ContactView, Role

__all__ = ["Policy", "policy_for"]


@dataclass(frozen=True)
class Policy:
    role: Role | None
    contact_view: ContactView
    own_customers_only: bool
    may_import: bool
    may_export: bool
    may_assign_manager: bool
    may_edit_customers: bool
    may_write_orders: bool

    @property
    def active(self) -> bool:
        return self.role is not None


_POLICIES: dict[Role | None, Policy] = {
    Role.ADMIN: Policy(
        Role.ADMIN, ContactView.FULL, False, True, True, True, True, True
    ),
    Role.OPERATIONS: Policy(
        Role.OPERATIONS, ContactView.MASKED, False, True, True, False, True, True
    ),
    Role.SERVICE: Policy(
        Role.SERVICE, ContactView.FULL, False, False, False, False, True, False
    ),
    Role.ACCOUNT_MANAGER: Policy(
        Role.ACCOUNT_MANAGER, ContactView.FULL, True, False, True, False, True, True
    ),
    Role.ANALYST: Policy(
        Role.ANALYST, ContactView.PSEUDONYMOUS, False, False, True, False, False, False
    ),
    None: Policy(
        None, ContactView.PSEUDONYMOUS, True, False, False, False, False, False
    ),
}


def role_of(user: Any) -> Role | None:
    if (
        user is None
        or not getattr(user, "is_authenticated", False)
        or not user.is_active
    ):
        return None
    if user.is_superuser:
        return Role.ADMIN
    profile = getattr(user, "staff_profile", None)
    try:
        return Role(profile.role) if profile is not None else None
    except ValueError:
        return None


def policy_for(user: Any) -> Policy:
    """The policy of ``user``; anonymous users and users without a role get nothing."""
    return _POLICIES[role_of(user)]
