"""Append-only tables (the audit log, the consent ledger): rows are added,
never changed or removed — refused by the application on every database and,
on PostgreSQL, by a trigger whoever connects.

One mechanism for both: :class:`AppendOnlyModel` (``save`` of a stored row and
``delete`` refused) with :class:`AppendOnlyQuerySet` (``update``, ``delete``,
``bulk_update``, ``update_or_create`` refused), each raising the model's own
exception with its own message; and the SQL of the trigger for migrations
(:func:`trigger_function_sql`, :func:`trigger_sql`, :func:`trigger_drop_sql`,
run on PostgreSQL only by :func:`on_postgresql`). The one way to remove rows
(retention, erasure) is a plain queryset inside a transaction that sets the
trigger's named setting, where the trigger allows it.
"""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn, TypeVar

from django.db import migrations, models

__all__ = [
    "AppendOnlyModel",
    "AppendOnlyQuerySet",
    "AppendOnlyRefused",
    "on_postgresql",
    "trigger_drop_sql",
    "trigger_function_sql",
    "trigger_sql",
]

_M = TypeVar("_M", bound=models.Model)


class AppendOnlyRefused(Exception):
    """An attempt to change or delete a row of an append-only table."""


class AppendOnlyModel(models.Model):
    """A model whose stored rows are never changed or deleted. Subclasses name
    their exception (a subclass of :class:`AppendOnlyRefused`) and message,
    and use :class:`AppendOnlyQuerySet` as their manager."""

    append_only_error: ClassVar[type[AppendOnlyRefused]] = AppendOnlyRefused
    append_only_message: ClassVar[str] = "rows are append-only"

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or kwargs.get("force_update"):
            self.append_only_refuse()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        self.append_only_refuse()

    @classmethod
    def append_only_refuse(cls, *args: Any, **kwargs: Any) -> NoReturn:
        raise cls.append_only_error(cls.append_only_message)


class AppendOnlyQuerySet(models.QuerySet[_M]):
    """The queryset of an :class:`AppendOnlyModel`: only reads and inserts."""

    def _refuse(self) -> NoReturn:
        model: Any = self.model
        raise model.append_only_error(model.append_only_message)

    def update(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._refuse()

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._refuse()

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._refuse()

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._refuse()


def trigger_function_sql(
    *, function: str, message: str, deletable_when: str = ""
) -> str:
    """The trigger function that refuses every UPDATE and DELETE with
    ``message``; a DELETE goes through where ``deletable_when`` (an SQL
    condition on ``OLD`` and the transaction's settings) holds."""
    allow = (
        f"    IF TG_OP = 'DELETE'\n       AND {deletable_when} THEN\n"
        "        RETURN OLD;\n    END IF;\n"
        if deletable_when
        else ""
    )
    return (
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$\n"
        f"BEGIN\n{allow}"
        f"    RAISE EXCEPTION '{message}'\n"
        "        USING ERRCODE = 'integrity_constraint_violation';\n"
        "END;\n$$ LANGUAGE plpgsql;\n"
    )


def trigger_sql(*, table: str, function: str) -> str:
    """The row trigger of ``table`` calling ``function`` before every UPDATE
    and DELETE (TRUNCATE, a test database being emptied, is not refused)."""
    return (
        f"CREATE TRIGGER {function}\n"
        f"    BEFORE UPDATE OR DELETE ON {table}\n"
        f"    FOR EACH ROW EXECUTE FUNCTION {function}();\n"
    )


def trigger_drop_sql(*, table: str, function: str) -> str:
    return (
        f"DROP TRIGGER IF EXISTS {function} ON {table};\n"
        f"DROP FUNCTION IF EXISTS {function}();\n"
    )


def on_postgresql(forwards: str, backwards: str) -> migrations.RunPython:
    """A migration step running ``forwards`` (``backwards`` when rolled back)
    on PostgreSQL and nothing elsewhere (SQLite: the application refuses)."""

    def run(sql: str) -> Any:
        def step(apps: Any, schema_editor: Any) -> None:
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(sql)

        return step

    return migrations.RunPython(run(forwards), run(backwards), elidable=False)
