"""The import's fast cell paths give exactly what the shared rules give.

The import parses phone numbers and email addresses by shortcuts (a regex for
11-digit CN mobile numbers, a per-import cache) because ``phonenumbers`` costs
more than the rest of a row. A shortcut that answers differently splits one
person into two customers (the import stores one form, the API another), so
for every text the answer must be the same value or the same error.

The same holds for every other kind of field (issue 8): amounts, quantities,
times, birthdays and text go through :mod:`guanxi.core.values` at every way in,
and the import's shortcuts (plain amounts, the usual time shape, ASCII ids,
per-batch caches, whole columns at once) must answer as the core functions do.
The tests below read cells the way an import does, a column of a batch at a
time (:func:`guanxi.ingest.batches.parse_batch`), and compare each cell with
the core function.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation
from hypothesis import example, given, settings
from hypothesis import strategies as st

from guanxi.core.bulk import utc_text
from guanxi.core.errors import ValidationFailed
from guanxi.core.normalize import (
    normalize_email,
    normalize_phone,
    parse_amount,
    parse_date,
    parse_datetime,
)
from guanxi.core.values import (
    check_birthday,
    check_moment,
    clean_line,
    clean_multiline,
    parse_quantity,
)
from guanxi.ingest.parsing import CellParser, cell_text


def _answer(parse: Any, value: Any) -> str:
    try:
        return "value: " + str(parse(value))
    except ValidationFailed as exc:
        return "error: " + exc.message
    except ArithmeticError as exc:
        # An amount beyond Decimal's precision fails the same way on both
        # paths today (issue 8 gives it a message); the paths must agree.
        return "exception: " + type(exc).__name__


def _parser() -> CellParser:
    return CellParser(tz=dt.UTC, status_values={})


# Digits as people type them: ASCII, full-width (Chinese keyboards), and
# other scripts' digits that Unicode also calls decimal digits.
_DIGITS = "0123456789０１２３４５６７８９٠١٢٣٤٥٦٧٨٩०१२३४५६७८९"
_PHONE_LIKE = st.text(alphabet=_DIGITS + " -+()\u3000\u00a0", max_size=20)
_PREFIXES = st.sampled_from(["", "+86", "0086", "+86 ", "86", "+1", "00"])


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


@settings(max_examples=400, deadline=None)
@given(prefix=_PREFIXES, body=_PHONE_LIKE | st.text(max_size=16))
@example(prefix="", body="13８00138000")
@example(prefix="", body="１３８００１３８０００")
@example(prefix="", body="١٣٨٠٠١٣٨٠٠٠")
@example(prefix="+86", body="13800138000")
@example(prefix="0086", body="13800138000")
@example(prefix="", body="138-0013-8000")
@example(prefix="", body=" 13800138000 ")
def test_phone_fast_path_agrees_with_normalize_phone(prefix: str, body: str) -> None:
    text = prefix + body
    parser = _parser()
    expected = _answer(normalize_phone, cell_text(text))
    assert _answer(parser.phone, text) == expected
    # And again from the parser's cache.
    assert _answer(parser.phone, text) == expected


def test_full_width_digit_is_stored_as_the_api_stores_it() -> None:
    assert _parser().phone("13８00138000") == "+8613800138000"
    assert normalize_phone("13８00138000") == "+8613800138000"


_LOCAL = st.text(alphabet="abcXYZ019._+-!#ü张ａ＠", min_size=0, max_size=12)
_DOMAIN = st.sampled_from(
    ["example.com", "EXAMPLE.cn", "ｅｘａｍｐｌｅ.com", "例子.中国", "a", "-x.com", ""]
)


@settings(max_examples=300, deadline=None)
@given(local=_LOCAL, at=st.sampled_from(["@", "＠", ""]), domain=_DOMAIN)
@example(local="Zhang.Wei", at="@", domain="ExAmple.COM")
@example(local="ｚｈａｎｇ", at="@", domain="example.com")
def test_email_path_agrees_with_normalize_email(
    local: str, at: str, domain: str
) -> None:
    text = local + at + domain
    parser = _parser()
    expected = _answer(normalize_email, cell_text(text))
    assert _answer(parser.email, text) == expected
    assert _answer(parser.email, text) == expected


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=_DIGITS + "¥￥$,.-+ 元", max_size=14)
    | st.from_regex(
        r"[¥￥$]?[0-9０-９]{1,3}(,[0-9０-９]{3})*(\.[0-9]{0,3})?", fullmatch=True
    )
)
@example(text="¥1,234.56")
@example(text="１２３.４５")
@example(text="١٢٣")
def test_amount_fast_path_agrees_with_parse_amount(text: str) -> None:
    parser = _parser()
    assert _answer(parser.amount, text) == _answer(parse_amount, text)


def test_imported_full_width_phone_is_found_by_its_ascii_form(
    write_file: Any, run_import: Any
) -> None:
    from guanxi.customers.models import Customer
    from guanxi.customers.search import phone_key

    text = "order_id,ordered_at,amount,phone\nA-1,2024-01-01,5,13８00138000\n"
    assert run_import("orders", write_file("o.csv", text)).code == 0
    customer = Customer.objects.get()
    assert customer.phone == "+8613800138000"
    assert customer.phone_index == phone_key("+8613800138000")


# --------------------------------------------------------------------------
# Every field kind, read a column at a time as the import reads it, against
# the core function the API calls.

NOW = dt.datetime(2026, 5, 17, 9, 30, 15, 250_000, tzinfo=dt.UTC)
TODAY = dt.date(2026, 5, 17)
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _column_parser() -> CellParser:
    return CellParser(tz=SHANGHAI, status_values={}, now=NOW, today=TODAY)


def _read_column(field: str, cells: list[Any]) -> list[str | None]:
    """``cells`` as one column of an import's batch: each cell's value, its
    error message, or None for an empty cell."""
    from guanxi.ingest.batches import UtcMoments, parse_batch
    from guanxi.ingest.mapping import Columns
    from guanxi.ingest.report import ImportReport
    from guanxi.ingest.rows import RowParser

    parser = _column_parser()
    columns = Columns(where={field: [(0, "column")]})
    reader = RowParser(columns=columns, parser=parser, report=ImportReport(kind="x"))
    batch = parse_batch(
        reader,
        list(range(2, 2 + len(cells))),
        [[cell] for cell in cells],
        reader.plan((field,)),
        special={"ordered_at": UtcMoments(SHANGHAI, now=NOW)},
    )
    messages = {e.line - 2: e.message for e in batch.errors}
    answers: list[str | None] = []
    for i, value in enumerate(batch.column(field)):
        if i in messages:
            answers.append("error: " + messages[i])
        elif value is None:
            answers.append(None)
        else:
            answers.append("value: " + str(value))
    return answers


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _core(rule: Callable[[Any], Any], cells: list[Any]) -> list[str | None]:
    return [None if _blank(cell) else _answer(rule, cell) for cell in cells]


def _agree(field: str, rule: Callable[[Any], Any], cells: list[Any]) -> None:
    # Twice: the second time partly from the parser's caches.
    assert _read_column(field, cells + cells) == _core(rule, cells + cells)


_AMOUNT_TEXT = (
    st.text(alphabet=_DIGITS + "¥￥$€£,._-+ eE元\u00a0\u200b\x02", max_size=16)
    | st.from_regex(r"[¥￥$]?[0-9]{1,4}(,[0-9]{3}){0,4}(\.[0-9]{0,4})?", fullmatch=True)
    | st.from_regex(r"[0-9]{1,14}(\.[0-9]{1,3})?", fullmatch=True)
)
_AMOUNT_CELLS = st.lists(
    _AMOUNT_TEXT
    | st.integers(min_value=-(10**12), max_value=10**13)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals(allow_nan=False, places=3, min_value=-1, max_value=10**11),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(cells=_AMOUNT_CELLS)
@example(
    cells=[
        "99999999999999999999",
        "12.345",
        "¥1,2,3",
        "1_000",
        "١٢٣",
        "9999999999.99",
        "10000000000",
        "10,000,000,000",
        "9,999,999,999.99",
        "0.005",
        "12.3400",
        "¥1,234.56",
        "-5",
        12.345,
        1e20,
    ]
)
def test_amount_column_agrees_with_parse_amount(cells: list[Any]) -> None:
    _agree("amount", parse_amount, cells)
    _agree("unit_price", parse_amount, cells)


@settings(max_examples=200, deadline=None)
@given(
    cells=st.lists(
        st.text(alphabet=_DIGITS + "+-., e", max_size=9)
        | st.integers(min_value=-5, max_value=2 * 10**6)
        | st.floats(min_value=-5, max_value=2e6),
        max_size=12,
    )
)
@example(cells=["1000000", "1000001", "0", "2.0", "1.5", "１２", "٣", 3.0, True])
def test_quantity_column_agrees_with_parse_quantity(cells: list[Any]) -> None:
    _agree("quantity", parse_quantity, cells)


_MOMENT_TEXT = st.from_regex(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}[ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2})?",
    fullmatch=True,
) | st.datetimes(
    min_value=dt.datetime(1960, 1, 1), max_value=dt.datetime(2030, 1, 1)
).map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S"))
_MOMENT_CELLS = st.lists(
    _MOMENT_TEXT
    | st.text(alphabet=_DIGITS + "-: T/年月日Z+", max_size=20)
    | st.datetimes(min_value=dt.datetime(1900, 1, 1))
    | st.floats(min_value=-10, max_value=3e6),
    max_size=12,
)


def _moment_rule(utc: bool) -> Callable[[Any], Any]:
    def rule(cell: Any) -> Any:
        moment = check_moment(parse_datetime(cell, tz=SHANGHAI), now=NOW)
        return utc_text(moment) if utc else moment

    return rule


def _moment_cases() -> list[Any]:
    latest = NOW.astimezone(SHANGHAI) + dt.timedelta(days=1)
    return [
        "9999-12-31 23:59:59",
        "0001-01-01 00:00:00",
        "1969-12-31 23:59:59",
        "1970-01-01 07:59:59",
        "1970-01-01 08:00:00",
        "2024-01-05T14:30:00",
        "2024-01-05T9:05",
        "2024-1-5 9:05",
        *(
            (latest + dt.timedelta(seconds=s)).strftime("%Y-%m-%d %H:%M:%S")
            for s in (-1, 0, 1)
        ),
        dt.datetime(9999, 12, 31, 23, 0),
        2958465.5,
    ]


@settings(max_examples=200, deadline=None)
@given(cells=_MOMENT_CELLS)
@example(cells=_moment_cases())
def test_moment_columns_agree_with_check_moment(cells: list[Any]) -> None:
    from guanxi.ingest.parsing import _OFFSET

    # Shopify's "2024-01-05 14:30:00 +0800" is an import preset's spelling
    # (the API takes ISO 8601); the rest must read as the API reads it.
    cells = [c for c in cells if not (isinstance(c, str) and _OFFSET.match(c.strip()))]
    _agree("ordered_at", _moment_rule(utc=True), cells)  # orders: UTC text
    _agree("occurred_at", _moment_rule(utc=False), cells)


@settings(max_examples=200, deadline=None)
@given(
    cells=st.lists(
        st.dates().map(lambda d: d.isoformat())
        | st.text(alphabet=_DIGITS + "-/.年月日", max_size=12)
        | st.dates()
        | st.integers(min_value=-5, max_value=3_000_000),
        max_size=12,
    )
)
@example(cells=["9999-12-31", "0001-01-01", "1899-12-31", "1900-01-01", "2026-05-18"])
def test_birthday_column_agrees_with_check_birthday(cells: list[Any]) -> None:
    def rule(cell: Any) -> Any:
        return check_birthday(parse_date(cell), today=TODAY)

    _agree("birthday", rule, cells)


_TEXT_ALPHABET = st.characters(codec="utf-8") | st.sampled_from(
    list("ab 张三\t\n\r\x00\x02\x1f\x7f\x85\u00a0\u200b\u2060\ufeff\u3000ＡＢ１")
)
_TEXT = st.text(alphabet=_TEXT_ALPHABET, max_size=24)
_LONG_TEXT = st.builds(
    lambda text, times: text * times,
    st.text(alphabet="ab 张", min_size=1),
    st.integers(1, 800),
)
_TEXT_CELLS = st.lists(
    _TEXT | _LONG_TEXT | st.integers() | st.floats(allow_nan=False), max_size=10
)
_LINE_FIELDS = {
    "customer_name": "name",
    "customer_city": "city",
    "customer_address": "address",
    "store": "store",
    "channel": "channel",
    "product_name": "product_name",
    "category": "category",
    "sku": "sku",
}


def _line_rule(field: str) -> Callable[[Any], Any]:
    return lambda cell: clean_line(_raw(cell), field=field)


def _raw(cell: Any) -> str:
    return cell if isinstance(cell, str) else cell_text(cell)


@settings(max_examples=150, deadline=None)
@given(cells=_TEXT_CELLS, field=st.sampled_from(sorted(_LINE_FIELDS)))
@example(
    cells=["张\x02三", "\ufeff张三", "Ａｂ  c", "x" * 201, " a\tb "], field="store"
)
def test_text_columns_agree_with_clean_line(cells: list[Any], field: str) -> None:
    _agree(field, _line_rule(_LINE_FIELDS[field]), cells)


_IDS = st.text(alphabet=st.characters(codec="ascii"), max_size=20) | st.from_regex(
    r"[A-Z]{1,3}-?[0-9]{1,140}", fullmatch=True
)


@settings(max_examples=200, deadline=None)
@given(
    cells=st.lists(
        _IDS | _TEXT | st.integers() | st.floats(allow_nan=False), max_size=12
    ),
    field=st.sampled_from(["order_id", "external_id", "customer_id"]),
)
@example(
    cells=["A-1", " A-1 ", "A  1", "A\x021", "A" * 128, "A" * 129, "Ａ-1"],
    field="order_id",
)
def test_id_columns_agree_with_clean_line(cells: list[Any], field: str) -> None:
    _agree(field, _line_rule("external_id"), cells)


@settings(max_examples=100, deadline=None)
@given(cells=st.lists(_TEXT | _LONG_TEXT.map(lambda t: t * 20), max_size=6))
@example(cells=["line one\r\nline two", "\x07", "a" * 10_001, " \ufeffnote "])
def test_note_column_agrees_with_clean_multiline(cells: list[Any]) -> None:
    _agree("note", lambda cell: clean_multiline(_raw(cell), field="note"), cells)
