"""Fixtures for import tests: files in every encoding, the command, row counts."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Exact messages are asserted in English (the source language)."""
    monkeypatch.setenv("LANGUAGE", "en")
    with translation.override("en"):
        yield


def table_counts() -> dict[str, int]:
    from guanxi.commerce.models import Order, OrderLine, Product
    from guanxi.customers.models import Customer, CustomerIdentity, Interaction, Tag

    return {
        model.__name__: model.objects.count()
        for model in (
            Customer,
            CustomerIdentity,
            Order,
            OrderLine,
            Product,
            Interaction,
            Tag,
        )
    }


@pytest.fixture
def huey_immediate() -> Any:
    """Tasks run where they are queued (after commit), as the worker would run them."""
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = was


@pytest.fixture
def counts(db: Any) -> Callable[[], dict[str, int]]:
    return table_counts


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    def write(name: str, text: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write


@pytest.fixture
def write_xlsx(tmp_path: Path) -> Callable[..., Path]:
    from openpyxl import Workbook

    def write(
        name: str, rows: list[list[Any]], formats: dict[str, str] | None = None
    ) -> Path:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        for row in rows:
            sheet.append(row)
        for cell_range, number_format in (formats or {}).items():
            for row in sheet[cell_range]:
                for cell in row if isinstance(row, tuple) else (row,):
                    cell.number_format = number_format
        path = tmp_path / name
        book.save(path)
        return path

    return write


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def run_import(db: Any) -> Callable[..., Run]:
    """``guanxi import …`` as the console runs it: exit code, stdout, stderr."""

    def run(*args: Any) -> Run:
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command("import", *[str(a) for a in args], stdout=out, stderr=err)
        except CommandError as exc:
            err.write(f"CommandError: {exc}\n")
            return Run(
                code=exc.returncode, stdout=out.getvalue(), stderr=err.getvalue()
            )
        return Run(code=0, stdout=out.getvalue(), stderr=err.getvalue())

    return run


def customers_by_phone() -> dict[str, Any]:
    from guanxi.customers.models import Customer

    return {c.phone: c for c in Customer.objects.all()}


TODAY = dt.date.today()
