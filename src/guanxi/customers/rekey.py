"""What depends on the blind-index and pseudonym keys, rebuilt in batches.

The search keys (blind indexes of phone and e-mail, hashed name grams and
staff-search tokens) and the stored pseudonym are keyed hashes: when their key
changes (``guanxi keys rotate --blind-index`` / ``--pseudonym``) every customer's
are computed again from the decrypted values and the id. Each call does one
batch in primary-key order inside the caller's transaction, so a rebuild can
stop after any batch and go on from the last primary key.
"""

from __future__ import annotations

from guanxi.core.crypto import pseudonym
from guanxi.customers.bulk import name_tokens_forget
from guanxi.customers.keys import customer_apply_contact
from guanxi.customers.models import Customer

__all__ = [
    "customer_pseudonyms_rebuild",
    "customer_search_keys_rebuild",
    "customers_total",
]

_SEARCH_KEYS = ("phone_index", "email_index", "name_tokens", "search_tokens")


def customer_search_keys_rebuild(
    *, after_pk: int | None, limit: int
) -> tuple[int | None, int, dict[str, str]]:
    """Recompute the search keys of up to ``limit`` customers after
    ``after_pk`` under the current blind-index key. Returns the last primary
    key done (None: none left), how many customers changed, and each old
    phone/e-mail index with its new one (for what else is keyed by them: the
    suppression list)."""
    name_tokens_forget()  # cached under the key of an earlier call
    qs = Customer.objects.select_for_update().order_by("pk")
    if after_pk is not None:
        qs = qs.filter(pk__gt=after_pk)
    people = list(
        qs.only("pk", "name", "phone", "email", "birthday", *_SEARCH_KEYS)[:limit]
    )
    if not people:
        return None, 0, {}
    changed: list[Customer] = []
    remap: dict[str, str] = {}
    for person in people:
        before = [getattr(person, k) for k in _SEARCH_KEYS]
        customer_apply_contact(person)
        after = [getattr(person, k) for k in _SEARCH_KEYS]
        if after != before:
            changed.append(person)
            for old, new in zip(before[:2], after[:2], strict=True):
                if old and new and old != new:
                    remap[old] = new
    if changed:
        Customer.objects.bulk_update(changed, list(_SEARCH_KEYS), batch_size=500)
    return people[-1].pk, len(changed), remap


def customer_pseudonyms_rebuild(
    *, after_pk: int | None, limit: int
) -> tuple[int | None, int]:
    """Recompute the stored pseudonym of up to ``limit`` customers after
    ``after_pk`` under the current pseudonym key: (last primary key done or
    None, how many changed)."""
    qs = Customer.objects.order_by("pk")
    if after_pk is not None:
        qs = qs.filter(pk__gt=after_pk)
    rows = list(qs.values_list("pk", "pseudonym")[:limit])
    if not rows:
        return None, 0
    changed = [
        Customer(pk=pk, pseudonym=pseudonym(pk))
        for pk, stored in rows
        if stored != pseudonym(pk)
    ]
    if changed:
        Customer.objects.bulk_update(changed, ["pseudonym"], batch_size=500)
    return rows[-1][0], len(changed)


def customers_total() -> int:
    """How many customers a rebuild goes through (every one, no scope)."""
    return Customer.objects.count()
