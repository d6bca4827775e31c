"""Stage 5, write: one importer per kind of file."""

from __future__ import annotations

from guanxi.ingest.choices import ImportKind
from guanxi.ingest.importers.base import Importer
from guanxi.ingest.importers.customers import CustomerImporter
from guanxi.ingest.importers.interactions import InteractionImporter
from guanxi.ingest.importers.orders import OrderImporter

__all__ = [
    "IMPORTERS",
    "CustomerImporter",
    "Importer",
    "InteractionImporter",
    "OrderImporter",
]

IMPORTERS: dict[str, type[Importer]] = {
    ImportKind.CUSTOMERS: CustomerImporter,
    ImportKind.ORDERS: OrderImporter,
    ImportKind.INTERACTIONS: InteractionImporter,
}
