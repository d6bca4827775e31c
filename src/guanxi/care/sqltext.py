"""Numbers as JSON text written by the database, character for character as
Python's ``json.dumps`` writes them, on SQLite and PostgreSQL alike.

The set-based evaluation builds each warning's signals as text in SQL. An
integer is its decimal digits. A float rounded to ``n`` decimals must come
out as Python's ``round(x, n)`` does and be written as ``repr`` writes the
result (``0.123``, ``29.1``, ``30.0``): neither database's own ``round`` nor
its float-to-text conversion does that (SQLite rounds half away from zero
after a 15-digit conversion; PostgreSQL's cast to ``numeric`` keeps 15
digits; a mean gap of 29.15 days is 29.14999… as a double, which Python
rounds to 29.1 and both databases to 29.2).

So the rounding is done exactly: ``x × 10ⁿ`` as a double plus its exact
rounding error (Dekker's product with Veltkamp's split; both databases
compute in IEEE doubles), rounded half to even on an exact tie, as Python's
correctly rounded ``round`` does. The result is an integer ``k``; the text is
``k`` with the decimal point put back and trailing zeros dropped (``repr`` of
the double nearest ``k / 10ⁿ`` is exactly that decimal). For values from 0
up to 10¹⁵; negative values are not used (probabilities, gaps in days).
"""

from __future__ import annotations

from django.db import connection

__all__ = ["int_text", "modulo", "rounded_text"]

_SPLIT = "134217729"  # 2**27 + 1: splits a double into two 26-bit halves


def _double(literal: str) -> str:
    return f"CAST({literal} AS DOUBLE PRECISION)"


def _int(expr: str) -> str:
    """The integer part of a non-negative double, as an integer."""
    if connection.vendor == "postgresql":
        return f"CAST(floor({expr}) AS BIGINT)"
    return f"CAST({expr} AS INTEGER)"


def modulo(a: str, b: str) -> str:
    """``a mod b`` for non-negative integers, without ``%`` (the statements
    run with ``%s`` parameters)."""
    return f"(({a}) - (({a}) / ({b})) * ({b}))"


def int_text(expr: str) -> str:
    """An integer column as text."""
    return f"CAST({expr} AS TEXT)"


def rounded_scaled(expr: str, digits: int) -> str:
    """``round(expr × 10^digits)`` half to even on the exact product (an
    integer); ``expr`` a non-negative double column or expression."""
    scale = _double(str(10**digits))
    x = f"({expr})"
    y = f"({x} * {scale})"
    c = f"({x} * {_double(_SPLIT)})"
    high = f"({c} - ({c} - {x}))"
    low = f"({x} - {high})"
    # x × scale = y + error exactly (Dekker: high × scale and low × scale are
    # exact, scale having 10 significant bits for digits ≤ 4).
    error = f"(({high} * {scale} - {y}) + {low} * {scale})"
    whole = _int(y)
    frac = f"({y} - {whole})"
    return (
        f"({whole} + CASE WHEN {frac} > 0.5 THEN 1 WHEN {frac} < 0.5 THEN 0 "
        f"WHEN {error} > 0 THEN 1 WHEN {error} < 0 THEN 0 "
        f"WHEN {whole} - ({whole} / 2) * 2 = 1 THEN 1 ELSE 0 END)"
    )


def scaled_text(k: str, digits: int) -> str:
    """The integer ``k`` (a rounded value times 10^digits) as ``repr`` writes
    ``k / 10^digits``: at least one decimal, no trailing zeros."""
    scale = 10**digits
    # No % in the SQL: the statements run with parameters (%s).
    rest = f"CAST(({k}) - (({k}) / {scale}) * {scale} AS TEXT)"
    if connection.vendor == "postgresql":
        padded = f"lpad({rest}, {digits}, '0')"
    else:
        padded = f"substr('{'0' * digits}' || {rest}, -{digits})"
    decimals = f"coalesce(nullif(rtrim({padded}, '0'), ''), '0')"
    return f"CAST(({k}) / {scale} AS TEXT) || '.' || {decimals}"


def rounded_text(expr: str, digits: int) -> str:
    """``repr(round(expr, digits))`` in SQL (``digits`` 1 to 4)."""
    assert 1 <= digits <= 4
    return scaled_text(rounded_scaled(expr, digits), digits)
