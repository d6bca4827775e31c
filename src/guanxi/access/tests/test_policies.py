"""The policy itself: every role against every predicate, and the customer scope."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

import guanxi
from guanxi.access.choices import ContactView, Role
from guanxi.access.models import StaffProfile
from guanxi.access.policies import Policy, policy_for, role_of, scope_for
from guanxi.access.scope import CustomerScope

# Written out by hand from DESIGN.md ("People and what they may see"), not
# computed: a change to a role shows up here as a one-cell diff.
PREDICATES = (
    "active",
    "own_customers_only",
    "pseudonymous",
    "sees_personal_data",
    "sees_contact_data",
    "may_search_people",
    "knows_customer_numbers",
    "may_import",
    "may_export",
    "may_assign_manager",
    "may_edit_customers",
    "may_write_orders",
    "may_administer",
    "may_tag_customers",
    "may_create_tags",
    "may_manage_tags",
    "may_edit_segments",
    "may_edit_contact_fields",
    "may_log_activities",
    "may_record_consent",
    "may_manage_team",
    "may_hold_api_token",
    "may_work_care_tasks",
    "works_team_care_tasks",
    "takes_round_robin_care_tasks",
    "may_use_templates",
    "may_write_templates",
    "may_send_broadcasts",
)
Y, N = True, False
TABLE: dict[Role | None, tuple[bool, ...]] = {
    #                     act own psd per con srch num imp exp asg edt ord adm tag new mng seg ctf log cns tm  tok crt tem rr  use wrt snd
    Role.ADMIN:           (Y,  N,  N,  Y,  Y,  Y,   Y,  Y,  Y,  Y,  Y,  Y,  Y,  Y,  Y,  Y,  Y,  Y,  Y,  Y,  Y,  Y,   Y,  Y,  N,  Y,  Y,  Y),
    Role.OPERATIONS:      (Y,  N,  N,  Y,  N,  Y,   Y,  Y,  Y,  Y,  Y,  Y,  N,  Y,  Y,  Y,  Y,  N,  Y,  Y,  N,  Y,   N,  N,  N,  Y,  Y,  Y),
    Role.SERVICE:         (Y,  N,  N,  Y,  Y,  Y,   Y,  N,  N,  N,  Y,  N,  N,  Y,  N,  N,  N,  Y,  Y,  Y,  N,  Y,   Y,  Y,  Y,  Y,  N,  N),
    Role.ACCOUNT_MANAGER: (Y,  Y,  N,  Y,  Y,  Y,   Y,  N,  Y,  N,  Y,  Y,  N,  Y,  Y,  N,  N,  Y,  Y,  Y,  N,  Y,   Y,  N,  N,  Y,  N,  N),
    Role.ANALYST:         (Y,  N,  Y,  N,  N,  N,   N,  N,  Y,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  Y,   N,  N,  N,  N,  N,  N),
    None:                 (N,  Y,  Y,  N,  N,  N,   N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,   N,  N,  N,  N,  N,  N),
}  # fmt: skip


def _policy_of(role: Role | None) -> Policy:
    from guanxi.access import policies

    return policies._POLICIES[role]


@pytest.mark.parametrize("role", list(TABLE), ids=lambda r: str(r or "no role"))
def test_every_role_answers_every_predicate_exactly(role: Role | None) -> None:
    policy = _policy_of(role)
    got = {name: getattr(policy, name) for name in PREDICATES}
    assert got == dict(zip(PREDICATES, TABLE[role], strict=True))
    assert policy.role == role


def test_the_table_covers_every_role_and_every_predicate() -> None:
    assert set(TABLE) == {*Role, None}
    fields = {f.name for f in dataclasses.fields(Policy)} - {
        "role",
        "contact_view",
        "care_checklist",
    }
    properties = {
        name for name, value in vars(Policy).items() if isinstance(value, property)
    }
    assert fields | properties == set(PREDICATES)


def test_the_care_checklist_of_each_role() -> None:
    # The seed handbook's appendix 1: who does which recurring item.
    assert {role: _policy_of(role).care_checklist for role in TABLE} == {
        Role.ADMIN: (),
        Role.OPERATIONS: ("care_messages", "customer_event"),
        Role.SERVICE: ("review_warnings",),
        Role.ACCOUNT_MANAGER: ("review_warnings",),
        Role.ANALYST: ("review_metrics",),
        None: (),
    }


def test_policies_are_built_by_keyword_with_every_permission_named() -> None:
    with pytest.raises(TypeError):
        Policy(Role.ADMIN, ContactView.FULL, False, True, True, True, True, True)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="may_write_orders"):
        Policy(  # type: ignore[call-arg]
            role=Role.ADMIN,
            contact_view=ContactView.FULL,
            own_customers_only=False,
            may_import=True,
            may_export=True,
            may_assign_manager=True,
            may_edit_customers=True,
        )


# --- users, roles and scope --------------------------------------------------


def _user(username: str, role: Role | None = None, **flags: Any) -> Any:
    user = get_user_model().objects.create_user(username=username, **flags)
    if role is not None:
        StaffProfile.objects.create(user=user, role=role)
    return user


@pytest.mark.django_db
def test_role_of_users_without_a_usable_role_is_none() -> None:
    assert role_of(None) is None
    assert role_of(AnonymousUser()) is None
    assert role_of(_user("plain")) is None
    assert role_of(_user("gone", Role.ADMIN, is_active=False)) is None
    broken = _user("broken", Role.ANALYST)
    StaffProfile.objects.filter(user=broken).update(role="emperor")
    assert role_of(get_user_model().objects.get(pk=broken.pk)) is None
    boss = _user("boss", Role.ANALYST, is_superuser=True)
    assert role_of(boss) is Role.ADMIN
    assert policy_for(boss) is _policy_of(Role.ADMIN)


@pytest.mark.django_db
def test_scope_of_each_kind_of_user() -> None:
    manager = _user("manager", Role.ACCOUNT_MANAGER)
    cases = {
        "admin": (_user("admin", Role.ADMIN), CustomerScope(everyone=True)),
        "operations": (
            _user("operations", Role.OPERATIONS),
            CustomerScope(everyone=True),
        ),
        "service": (_user("service", Role.SERVICE), CustomerScope(everyone=True)),
        "analyst": (_user("analyst", Role.ANALYST), CustomerScope(everyone=True)),
        "manager": (
            manager,
            CustomerScope(everyone=False, manager_id=manager.pk),
        ),
        "no role": (_user("nobody"), CustomerScope(everyone=False)),
        "anonymous": (AnonymousUser(), CustomerScope(everyone=False)),
    }
    got = {name: scope_for(user) for name, (user, _) in cases.items()}
    assert got == {name: scope for name, (_, scope) in cases.items()}
    keys = {name: scope.cache_key for name, scope in got.items()}
    assert keys == {
        "admin": "all",
        "operations": "all",
        "service": "all",
        "analyst": "all",
        "manager": f"user-{manager.pk}",
        "no role": "none",
        "anonymous": "none",
    }
    assert [s.nobody for s in got.values()] == [N, N, N, N, N, Y, Y]


def test_a_scope_of_everyone_names_no_manager() -> None:
    with pytest.raises(
        ValueError, match=r"^a scope of every customer names no manager$"
    ):
        CustomerScope(everyone=True, manager_id=3)


# --- one place -----------------------------------------------------------------

ROOT = Path(guanxi.__file__).parent
# Role and scope conditions written outside access: a comparison with a contact
# view, or a lookup by account manager (giving a new customer one is a write,
# ``customer.assigned_manager = actor``, and allowed; so is following the
# relation to read the manager, ``select_related("customer__assigned_manager")``,
# the quoted relation name alone).
RESTATED = re.compile(
    r"ContactView\.|contact_view\s*==|assigned_manager(_id)?=actor\b"
    r"|__assigned_manager(?![\"'])|filter\(assigned_manager"
)


def test_no_module_outside_access_restates_a_role_or_scope_rule() -> None:
    sources = [
        path
        for path in ROOT.rglob("*.py")
        if "tests" not in path.parts
        and "migrations" not in path.parts
        and path.parent.name != "access"
    ]
    assert len(sources) > 50
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sources
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if RESTATED.search(line)
    ]
    assert offenders == []


def test_figures_by_scope_group_by_the_scope_rules_field() -> None:
    from guanxi.access.policies import manager_scope_field, manager_scope_key

    assert manager_scope_field() == "assigned_manager_id"
    assert manager_scope_field(via="customer") == "customer__assigned_manager_id"
    assert manager_scope_key(7) == CustomerScope(everyone=False, manager_id=7).cache_key
    assert manager_scope_key(7) == "user-7"
