"""A customer's language and time zone from a customers file: common
spellings accepted, anything else refused per row with nothing written."""

from __future__ import annotations

from typing import Any

from guanxi.ingest.tests.conftest import customers_by_phone

GOOD = (
    "手机号,语言,时区\n"
    "13800138000,中文,asia/shanghai\n"
    "13900139000,English,Europe/Berlin\n"
    "13700137000,zh-CN,\n"
    "13600136000,en-US,America/New_York\n"
    "13500135000,,\n"
)


def test_languages_and_time_zones_in_common_spellings(
    write_file: Any, run_import: Any
) -> None:
    result = run_import("customers", write_file("c.csv", GOOD), "--json")
    assert result.code == 0, result.stderr
    assert result.json["created"] == 5
    assert {
        phone: (c.language, c.time_zone) for phone, c in customers_by_phone().items()
    } == {
        "+8613800138000": ("zh-hans", "Asia/Shanghai"),
        "+8613900139000": ("en", "Europe/Berlin"),
        "+8613700137000": ("zh-hans", ""),
        "+8613600136000": ("en", "America/New_York"),
        "+8613500135000": ("", ""),
    }


def test_unknown_language_and_time_zone_are_refused_per_row(
    write_file: Any, run_import: Any, counts: Any
) -> None:
    text = (
        "phone,language,time zone\n"
        "13800138000,中文,Asia/Shanghai\n"
        "13900139000,Klingon,Europe/Berlin\n"
        "13700137000,en,Mars/Olympus\n"
    )
    before = counts()
    result = run_import("customers", write_file("c.csv", text), "--json")
    assert result.code == 1
    assert result.json["rejected_rows"] == 2
    assert result.json["errors"] == [
        {
            "line": 3,
            "column": "language",
            "value": None,
            "message": "unknown language (expected zh-hans/中文 or en/English)",
        },
        {
            "line": 4,
            "column": "time zone",
            "value": None,
            "message": (
                "unknown time zone (expected an IANA name such as Asia/Shanghai)"
            ),
        },
    ]
    assert counts() == before


def test_a_language_fills_a_blank_and_never_overwrites(
    write_file: Any, run_import: Any
) -> None:
    run_import("customers", write_file("a.csv", "phone,name\n13800138000,张伟\n"))
    second = run_import(
        "customers", write_file("b.csv", "phone,language\n13800138000,en\n"), "--json"
    )
    assert second.json["updated"] == 1
    third = run_import(
        "customers",
        write_file("c.csv", "phone,language,time zone\n13800138000,中文,Asia/Tokyo\n"),
        "--json",
    )
    assert third.json["updated"] == 1  # the time zone was blank
    (customer,) = customers_by_phone().values()
    assert (customer.name, customer.language, customer.time_zone) == (
        "张伟",
        "en",
        "Asia/Tokyo",
    )
