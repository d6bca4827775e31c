"""Every model that holds a customer's personal data is in the registry."""

from __future__ import annotations

from django.apps import apps

from guanxi.core.personal_data import CASCADE, registered


def _linked_models() -> list[tuple[str, str]]:
    """``(model label, field)`` of every concrete model with a foreign key or
    one-to-one link to a customer, or to an order (which is a customer's)."""
    customer = apps.get_model("customers", "Customer")
    order = apps.get_model("commerce", "Order")
    found = []
    for model in apps.get_models():
        if model._meta.abstract or model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model in (customer, order):
                found.append((model._meta.label, field.name))
    return found


def test_every_model_linked_to_a_customer_is_registered() -> None:
    known = {entry.label for entry in registered()}
    missing = [
        f"{label} (field {field!r}) holds personal data but is not in the "
        "personal-data registry: register it in its app's AppConfig.ready() "
        "with guanxi.core.personal_data.register(model, app=..., path=..., "
        "erase=...) — see docs/privacy.md"
        for label, field in _linked_models()
        if label not in known
    ]
    assert not missing, "\n".join(missing)


def test_the_enumeration_finds_the_models_it_must() -> None:
    labels = {label for label, _f in _linked_models()}
    assert {
        "commerce.Order",
        "commerce.OrderLine",
        "customers.Interaction",
        "messaging.ConsentRecord",
        "messaging.Message",
        "insights.ScoreSnapshot",
        "care.CareTask",
    } <= labels


def test_cascade_entries_really_cascade_from_the_customer() -> None:
    from django.db.models import CASCADE as DB_CASCADE

    for entry in registered():
        if entry.erase != CASCADE:
            continue
        field = entry.model._meta.get_field(
            entry.path.split("__")[0].removesuffix("_id")
        )
        assert field.remote_field.on_delete is DB_CASCADE, entry.label


def test_each_entry_finds_rows_by_its_path(db: object) -> None:
    for entry in registered():
        # An unknown lookup raises here; a good one just finds nothing.
        assert not entry.model._base_manager.filter(**{entry.path: 0}).exists()
