"""The registry of models that hold a customer's personal data.

Each app declares, in its ``AppConfig.ready()``, every model of its own that
is linked to a customer (directly or through an order), with how the rows of
one customer are found (``path``, a lookup ending in the customer's id), what
of them a data-subject export leaves out, and how an erasure treats them:

    register(Interaction, app="customers", path="customer_id", erase=CASCADE)
    register(Order, app="commerce", path="customer_id",
             erase=orders_pseudonymise, phase=10)

``guanxi.privacy`` reads the registry to export and erase a customer; a test
fails when a model with a foreign key to a customer (or to an order) is not in
it. The registry knows no app: the apps hand it their models and functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CASCADE",
    "KEEP",
    "PersonalData",
    "register",
    "registered",
]

#: Erasure: the rows go when the customer row is deleted (``on_delete=CASCADE``).
CASCADE = "cascade"
#: Erasure: the rows are kept as they are (they hold nothing of the person once
#: the link is replaced by an erasure function of another model).
KEEP = "keep"

#: An eraser: ``(customer_id, tombstone_id) -> rows changed``, run in the
#: erasure's transaction.
Eraser = Callable[[int, int], int]
#: Files of one customer for the export's ZIP: ``customer_id -> (name, bytes)``.
FileLister = Callable[[int], Iterator[tuple[str, bytes]]]


@dataclass(frozen=True)
class PersonalData:
    """One registered model: ``label`` (``app_label.Model``) names it in the
    export; ``path`` finds one customer's rows (``customer_id``,
    ``order__customer_id``); ``exclude`` names fields an export leaves out
    (keyed hashes, search tokens: nothing the person gave); ``erase`` is
    :data:`CASCADE`, :data:`KEEP` or an :data:`Eraser`; erasers run by
    ascending ``phase``; ``files``, if given, yields the customer's files
    (attachments) that the export's ZIP carries beside the rows."""

    model: Any
    app: str
    path: str
    erase: str | Eraser
    exclude: frozenset[str] = field(default_factory=frozenset)
    phase: int = 50
    files: FileLister | None = None

    @property
    def label(self) -> str:
        return str(self.model._meta.label)


_registry: dict[str, PersonalData] = {}


def register(
    model: Any,
    *,
    app: str,
    path: str,
    erase: str | Eraser,
    exclude: tuple[str, ...] = (),
    phase: int = 50,
    files: FileLister | None = None,
) -> None:
    """Declare ``model`` as holding personal data (see :class:`PersonalData`).
    Registering the same model again replaces its entry (``ready()`` may run
    twice in tests)."""
    if isinstance(erase, str) and erase not in (CASCADE, KEEP):
        raise ValueError(f"erase must be CASCADE, KEEP or a function, not {erase!r}")
    entry = PersonalData(
        model=model,
        app=app,
        path=path,
        erase=erase,
        exclude=frozenset(exclude),
        phase=phase,
        files=files,
    )
    _registry[entry.label] = entry


def registered() -> list[PersonalData]:
    """Every registered model, erasers' order (phase, then label)."""
    return sorted(_registry.values(), key=lambda e: (e.phase, e.label))
