"""The accepted range of every value, with its exact message (core.values)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from guanxi.core.errors import ValidationFailed
from guanxi.core.values import (
    MAX_AMOUNT,
    check_birthday,
    check_filter_date,
    check_moment,
    clean_line,
    clean_multiline,
    line_total,
    parse_amount,
    parse_id,
    parse_quantity,
)


@pytest.fixture(autouse=True)
def _english() -> object:
    with translation.override("en"):
        yield


TOO_LARGE = "amount is too large (at most 9,999,999,999.99)"
SEPARATORS = "thousands separators must group three digits (e.g. 1,299.50)"


def _message(call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(ValidationFailed) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("128", "128.00"),
        ("1299.5", "1299.50"),
        ("¥1,299.50", "1299.50"),
        ("￥88", "88.00"),
        ("$12.5", "12.50"),
        ("12.3400", "12.34"),
        ("RMB 1,000,000", "1000000.00"),
        ("99元", "99.00"),
        ("１２３", "123.00"),
        ("9999999999.99", "9999999999.99"),
        ("0", "0.00"),
        ("-0", "0.00"),
        (128, "128.00"),
        (12.5, "12.50"),
        (Decimal("7.1"), "7.10"),
    ],
)
def test_amounts_accepted(raw: object, expected: str) -> None:
    assert str(parse_amount(raw)) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("¥1,2,3", SEPARATORS),
        ("1,29.50", SEPARATORS),
        ("12.345", "more than two decimal places"),
        (Decimal("0.001"), "more than two decimal places"),
        (0.1 + 0.2, "more than two decimal places"),
        ("1_000", "not an amount"),
        ("1e3", "not an amount"),
        ("1e309", "not an amount"),
        ("NaN", "not an amount"),
        ("Infinity", "not an amount"),
        (float("inf"), "not an amount"),
        (float("nan"), "not an amount"),
        (Decimal("NaN"), "not an amount"),
        (True, "not an amount"),
        (None, "not an amount"),
        ("", "not an amount"),
        ("١٢٣", "only the digits 0-9 are accepted"),
        ("१२३", "only the digits 0-9 are accepted"),
        ("-5", "amount must not be negative"),
        ("10000000000", TOO_LARGE),
        ("99999999999999999999", TOO_LARGE),
        (10**20, TOO_LARGE),
        (1e20, TOO_LARGE),
        (Decimal("1E+20"), TOO_LARGE),
    ],
)
def test_amounts_refused(raw: object, message: str) -> None:
    assert _message(parse_amount, raw) == message


def test_negative_amounts_where_allowed() -> None:
    assert parse_amount("-12.50", allow_negative=True) == Decimal("-12.50")
    assert _message(parse_amount, "-10000000000", allow_negative=True) == TOO_LARGE


@given(st.text(max_size=40) | st.from_regex(r"[¥$]?[\d,]{1,16}(\.\d{0,4})?"))
def test_any_text_is_an_amount_in_range_or_a_clear_refusal(text: str) -> None:
    try:
        amount = parse_amount(text)
    except ValidationFailed as exc:
        assert exc.message  # never another exception, never an empty message
        return
    assert amount.is_finite()
    assert Decimal(0) <= amount <= MAX_AMOUNT
    assert amount == amount.quantize(Decimal("0.01"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(1, 1), ("3", 3), ("１２", 12), (1_000_000, 1_000_000), (2.0, 2)],
)
def test_quantities_accepted(raw: object, expected: int) -> None:
    assert parse_quantity(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (0, "quantity must be a whole number of at least 1"),
        (-3, "quantity must be a whole number of at least 1"),
        (2.5, "quantity must be a whole number of at least 1"),
        ("1e3", "quantity must be a whole number of at least 1"),
        ("٣", "only the digits 0-9 are accepted"),
        (True, "quantity must be a whole number of at least 1"),
        (1_000_001, "quantity is too large (at most 1,000,000)"),
        ("9" * 5000, "quantity must be a whole number of at least 1"),
    ],
)
def test_quantities_refused(raw: object, message: str) -> None:
    assert _message(parse_quantity, raw) == message


def test_line_total_must_fit_the_amount_column() -> None:
    assert line_total(1_000_000, Decimal("9999.99")) == Decimal("9999990000.00")
    assert _message(line_total, 1_000_000, Decimal("99999")) == (
        "line total (quantity × unit price) is too large (at most 9,999,999,999.99)"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1, 1),
        ("42", 42),
        (2**63 - 1, 2**63 - 1),
        (2**63, None),
        (0, None),
        ("-1", None),
        (" 7 ", 7),
        ("1.0", None),
        ("٣", None),
        (True, None),
        (None, None),
        (2.0, None),
    ],
)
def test_ids(raw: object, expected: int | None) -> None:
    assert parse_id(raw) == expected


NOW = dt.datetime(2026, 10, 3, 12, 0, tzinfo=dt.UTC)
OUT_OF_RANGE = "date out of range (accepted: 1970-01-01 to one day from now)"


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
        NOW + dt.timedelta(hours=23),
        dt.datetime(2026, 10, 4, 10, tzinfo=dt.timezone(dt.timedelta(hours=-1))),
    ],
)
def test_moments_accepted(moment: dt.datetime) -> None:
    assert check_moment(moment, now=NOW) == moment


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(1969, 12, 31, 23, 59, tzinfo=dt.UTC),
        NOW + dt.timedelta(days=1, seconds=1),
        dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone(-dt.timedelta(hours=14))),
        dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14))),
    ],
)
def test_moments_refused(moment: dt.datetime) -> None:
    assert _message(check_moment, moment, now=NOW) == OUT_OF_RANGE


@pytest.mark.parametrize(
    ("day", "ok"),
    [
        (dt.date(1900, 1, 1), True),
        (dt.date(2026, 10, 3), True),
        (dt.date(1899, 12, 31), False),
        (dt.date(2026, 10, 4), False),
        (dt.date(9999, 12, 31), False),
        (dt.date(1, 1, 1), False),
    ],
)
def test_birthdays(day: dt.date, ok: bool) -> None:
    if ok:
        assert check_birthday(day, today=dt.date(2026, 10, 3)) == day
    else:
        assert _message(check_birthday, day, today=dt.date(2026, 10, 3)) == (
            "birthday out of range (accepted: 1900-01-01 to today)"
        )


def test_filter_dates() -> None:
    assert check_filter_date(dt.date(2999, 12, 31)) == dt.date(2999, 12, 31)
    assert _message(check_filter_date, dt.date(9999, 12, 31)) == (
        "enter a date from 1900-01-01 to 2999-12-31"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  王  芳 ", "王 芳"),
        ("\ufeff王\u200b芳\u2060", "王芳"),
        ("ＡＢＣ　１", "ABC 1"),
        ("a\tb\nc\r\nd", "a b c d"),
        (None, ""),
        (12345, "12345"),
    ],
)
def test_one_line_text(raw: object, expected: str) -> None:
    assert clean_line(raw, field="name") == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("张\x00三", "control character U+0000 at position 2 is not allowed"),
        ("a\x1fb", "control character U+001F at position 2 is not allowed"),
        ("a\x85b", "control character U+0085 at position 2 is not allowed"),
        ("a\x7f", "control character U+007F at position 2 is not allowed"),
        ("x" * 201, "too long (at most 200 characters)"),
        ("x" * 30_000_000, "too long (at most 200 characters)"),
    ],
)
def test_one_line_text_refused(raw: str, message: str) -> None:
    assert _message(clean_line, raw, field="name") == message


def test_notes_keep_their_lines() -> None:
    assert clean_multiline(" 第一行\r\n\t第二行\r第三行 \ufeff", field="note") == (
        "第一行\n\t第二行\n第三行"
    )
    assert _message(clean_multiline, "ok\x1b[31m", field="note") == (
        "control character U+001B at position 3 is not allowed"
    )
    assert _message(clean_multiline, "x" * 10_001, field="note") == (
        "too long (at most 10000 characters)"
    )
    assert _message(clean_multiline, "x" * 30_000_000, field="note") == (
        "too long (at most 10000 characters)"
    )
