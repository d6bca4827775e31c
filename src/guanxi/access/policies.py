"""What each role may see and do. The one place these rules are written.

Two questions decide what a user sees of a customer and of everything that
belongs to one:

- **Which customers** — :func:`scope_for` gives a
  :class:`~guanxi.access.scope.CustomerScope` (every customer, those assigned to
  the user, or none), which the owning app's selector applies to its table.
- **How they look** — the predicates of :class:`Policy`: ``pseudonymous``,
  ``sees_personal_data``, ``sees_contact_data``, ``may_search_people``,
  ``knows_customer_numbers``. ``customers.presenters`` turns them into what a
  page, an API answer or an export shows.

A new app (insights, tasks, messages, tickets …) inherits both without writing
a role condition of its own:

1. Reads: build every query on the owning selector (``customer_scope``,
   ``order_scope``) or, for a table of its own that points at customers, on
   ``scope_for(actor).apply(MyModel.objects.all(), via="customer")`` in its own
   ``selectors.py``. A record outside scope is answered as if it did not exist
   (raise ``NotFound``).
2. Showing a customer: through ``customer_card`` / ``customer_ref`` only.
3. Anything addressed by customer number (a URL, a ``?customer=`` filter, a
   link) only when ``policy.knows_customer_numbers``; any search by name,
   phone or email only when ``policy.may_search_people``.
4. Caches of figures: key them with ``scope_for(actor).cache_key``.
5. A new permission: add a ``may_…`` field below and give every role a value.

Never compare ``policy.role`` or ``policy.contact_view`` outside this module;
add a predicate here instead, and a line for it in
``access/tests/test_policies.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from guanxi.access.choices import ContactView, Role
from guanxi.access.scope import MANAGER_FIELD, CustomerScope

__all__ = [
    "Policy",
    "manager_scope_field",
    "manager_scope_key",
    "policy_for",
    "role_of",
    "role_policy",
    "scope_for",
]


@dataclass(frozen=True, kw_only=True)
class Policy:
    """What one role may see and do. Built by keyword, every field given: a new
    permission then makes each role's line say yes or no."""

    role: Role | None
    #: How names and contact fields look: full, masked or not at all.
    contact_view: ContactView
    #: Only the customers assigned to the user, instead of every customer.
    own_customers_only: bool
    may_import: bool
    may_export: bool
    may_assign_manager: bool
    may_edit_customers: bool
    #: Set and change phone, email, address and birthday (roles that see them
    #: masked may not overwrite what they cannot see).
    may_edit_contact_fields: bool
    #: Log calls, conversations, visits, notes and complaints on the customer
    #: page (and change or delete one's own for a day).
    may_log_activities: bool
    may_write_orders: bool
    #: Run scoring, change the business's settings and playbooks.
    may_administer: bool
    #: Add and remove manual tags on the customers in scope.
    may_tag_customers: bool
    #: Create a new manual tag while tagging (otherwise only existing ones).
    may_create_tags: bool
    #: Rename, merge, colour and delete manual tags (the tags settings page).
    may_manage_tags: bool
    #: Create, change and delete segments (saved filters everyone else uses).
    may_edit_segments: bool
    #: Record a customer's consent (granted or withdrawn) with its evidence.
    may_record_consent: bool
    #: Add colleagues, set their roles, deactivate them (the team settings).
    may_manage_team: bool
    #: Hold a REST API token (create, rotate and revoke one's own).
    may_hold_api_token: bool
    #: Work care tasks (early warnings): see and close the tasks of the
    #: customers in scope.
    may_work_care_tasks: bool
    #: Take tasks of customers without an account manager (round-robin), and
    #: see the whole team's tasks, not only one's own.
    works_team_care_tasks: bool
    #: Receive, in turn, the tasks of customers without an account manager.
    takes_round_robin_care_tasks: bool
    #: Preview message templates with a customer in scope (the service
    #: templates; those who write templates see every one).
    may_use_templates: bool
    #: Write, change and delete message templates.
    may_write_templates: bool
    #: Send to every customer or a segment (the send screen, a broadcast).
    may_send_broadcasts: bool
    #: The seed handbook's checklist items (appendix 1) this role is given as
    #: recurring tasks in its inbox (``guanxi.care.choices.ChecklistItem``
    #: values): daily review of warnings (service, sales), weekly personal
    #: care messages and a quarterly customer event (operations, marketing),
    #: a monthly review of repurchase, churn and LTV (analysts).
    care_checklist: tuple[str, ...]

    @property
    def active(self) -> bool:
        """The user has a role; without one a user sees nothing."""
        return self.role is not None

    @property
    def pseudonymous(self) -> bool:
        """Customers are known by keyed hash only: birth year, city, behaviour;
        never a name, a contact field or a customer number."""
        return self.contact_view == ContactView.PSEUDONYMOUS

    @property
    def sees_personal_data(self) -> bool:
        """Names and contact fields are shown (masked or in full)."""
        return not self.pseudonymous

    @property
    def sees_contact_data(self) -> bool:
        """Phone, email, address and birthday are shown in full, not masked."""
        return self.contact_view == ContactView.FULL

    @property
    def may_search_people(self) -> bool:
        """Search by name, phone, email or customer number. A pseudonymous role
        could link a person to a pseudonym with it, so its searches find
        nothing."""
        return not self.pseudonymous

    @property
    def knows_customer_numbers(self) -> bool:
        """Customers are addressed and shown by their number (pages, links,
        ``?customer=`` filters); otherwise by pseudonym, and an address by
        number is answered as if the customer did not exist."""
        return not self.pseudonymous

    def scope(self, user: Any) -> CustomerScope:
        """Which customers ``user`` (whose policy this is) may see."""
        if not self.active:
            return CustomerScope(everyone=False)
        if not self.own_customers_only:
            return CustomerScope(everyone=True)
        return CustomerScope(everyone=False, manager_id=getattr(user, "pk", None))


_POLICIES: dict[Role | None, Policy] = {
    Role.ADMIN: Policy(
        role=Role.ADMIN,
        contact_view=ContactView.FULL,
        own_customers_only=False,
        may_import=True,
        may_export=True,
        may_assign_manager=True,
        may_edit_customers=True,
        may_edit_contact_fields=True,
        may_log_activities=True,
        may_write_orders=True,
        may_administer=True,
        may_tag_customers=True,
        may_create_tags=True,
        may_manage_tags=True,
        may_edit_segments=True,
        may_record_consent=True,
        may_manage_team=True,
        may_hold_api_token=True,
        may_work_care_tasks=True,
        works_team_care_tasks=True,
        takes_round_robin_care_tasks=False,
        may_use_templates=True,
        may_write_templates=True,
        may_send_broadcasts=True,
        care_checklist=(),
    ),
    Role.OPERATIONS: Policy(
        role=Role.OPERATIONS,
        contact_view=ContactView.MASKED,
        own_customers_only=False,
        may_import=True,
        may_export=True,
        may_assign_manager=True,
        may_edit_customers=True,
        may_edit_contact_fields=False,
        may_log_activities=True,
        may_write_orders=True,
        may_administer=False,
        may_tag_customers=True,
        may_create_tags=True,
        may_manage_tags=True,
        may_edit_segments=True,
        may_record_consent=True,
        may_manage_team=False,
        may_hold_api_token=True,
        may_work_care_tasks=False,
        works_team_care_tasks=False,
        takes_round_robin_care_tasks=False,
        may_use_templates=True,
        may_write_templates=True,
        may_send_broadcasts=True,
        care_checklist=("care_messages", "customer_event"),
    ),
    Role.SERVICE: Policy(
        role=Role.SERVICE,
        contact_view=ContactView.FULL,
        own_customers_only=False,
        may_import=False,
        may_export=False,
        may_assign_manager=False,
        may_edit_customers=True,
        may_edit_contact_fields=True,
        may_log_activities=True,
        may_write_orders=False,
        may_administer=False,
        may_tag_customers=True,
        may_create_tags=False,
        may_manage_tags=False,
        may_edit_segments=False,
        may_record_consent=True,
        may_manage_team=False,
        may_hold_api_token=True,
        may_work_care_tasks=True,
        works_team_care_tasks=True,
        takes_round_robin_care_tasks=True,
        may_use_templates=True,
        may_write_templates=False,
        may_send_broadcasts=False,
        care_checklist=("review_warnings",),
    ),
    Role.ACCOUNT_MANAGER: Policy(
        role=Role.ACCOUNT_MANAGER,
        contact_view=ContactView.FULL,
        own_customers_only=True,
        may_import=False,
        may_export=True,
        may_assign_manager=False,
        may_edit_customers=True,
        may_edit_contact_fields=True,
        may_log_activities=True,
        may_write_orders=True,
        may_administer=False,
        may_tag_customers=True,
        may_create_tags=True,
        may_manage_tags=False,
        may_edit_segments=False,
        may_record_consent=True,
        may_manage_team=False,
        may_hold_api_token=True,
        may_work_care_tasks=True,
        works_team_care_tasks=False,
        takes_round_robin_care_tasks=False,
        may_use_templates=True,
        may_write_templates=False,
        may_send_broadcasts=False,
        care_checklist=("review_warnings",),
    ),
    Role.ANALYST: Policy(
        role=Role.ANALYST,
        contact_view=ContactView.PSEUDONYMOUS,
        own_customers_only=False,
        may_import=False,
        may_export=True,
        may_assign_manager=False,
        may_edit_customers=False,
        may_edit_contact_fields=False,
        may_log_activities=False,
        may_write_orders=False,
        may_administer=False,
        may_tag_customers=False,
        may_create_tags=False,
        may_manage_tags=False,
        may_edit_segments=False,
        may_record_consent=False,
        may_manage_team=False,
        may_hold_api_token=True,
        may_work_care_tasks=False,
        works_team_care_tasks=False,
        takes_round_robin_care_tasks=False,
        may_use_templates=False,
        may_write_templates=False,
        may_send_broadcasts=False,
        care_checklist=("review_metrics",),
    ),
    # No role (or an anonymous or inactive user): nothing at all.
    None: Policy(
        role=None,
        contact_view=ContactView.PSEUDONYMOUS,
        own_customers_only=True,
        may_import=False,
        may_export=False,
        may_assign_manager=False,
        may_edit_customers=False,
        may_edit_contact_fields=False,
        may_log_activities=False,
        may_write_orders=False,
        may_administer=False,
        may_tag_customers=False,
        may_create_tags=False,
        may_manage_tags=False,
        may_edit_segments=False,
        may_record_consent=False,
        may_manage_team=False,
        may_hold_api_token=False,
        may_work_care_tasks=False,
        works_team_care_tasks=False,
        takes_round_robin_care_tasks=False,
        may_use_templates=False,
        may_write_templates=False,
        may_send_broadcasts=False,
        care_checklist=(),
    ),
}


def role_of(user: Any) -> Role | None:
    """The role ``user`` works in: superusers are admins; anonymous, inactive
    users and users without a (valid) profile have none."""
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


def role_policy(role: Role | None) -> Policy:
    """The policy of ``role`` (what a role would give, e.g. on the team page)."""
    return _POLICIES[role]


def policy_for(user: Any) -> Policy:
    """The policy of ``user``; anonymous users and users without a role get nothing."""
    return _POLICIES[role_of(user)]


def scope_for(user: Any) -> CustomerScope:
    """Which customers ``user`` may see (see :mod:`guanxi.access.scope`)."""
    return policy_for(user).scope(user)


def manager_scope_field(*, via: str = "") -> str:
    """The lookup from a table (``via``: its path to the customer) to what
    decides an account manager's scope, for figures computed once for every
    scope: group by it, then key each group with :func:`manager_scope_key`."""
    return f"{via}__{MANAGER_FIELD}" if via else MANAGER_FIELD


def manager_scope_key(manager_id: int) -> str:
    """The ``cache_key`` of the scope of the account manager ``manager_id``:
    what figures grouped by :func:`manager_scope_field` are stored under."""
    return CustomerScope(everyone=False, manager_id=manager_id).cache_key
