"""The import's fast cell paths give exactly what the shared normalisers give.

The import parses phone numbers and email addresses by shortcuts (a regex for
11-digit CN mobile numbers, a per-import cache) because ``phonenumbers`` costs
more than the rest of a row. A shortcut that answers differently splits one
person into two customers (the import stores one form, the API another), so
for every text the answer must be the same value or the same error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation
from hypothesis import example, given, settings
from hypothesis import strategies as st

from guanxi.core.errors import ValidationFailed
from guanxi.core.normalize import normalize_email, normalize_phone, parse_amount
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
