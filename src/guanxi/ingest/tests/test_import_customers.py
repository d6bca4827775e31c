"""Customer imports: every encoding, every kind of bad row, duplicates, re-imports."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from guanxi.ingest.tests.conftest import customers_by_phone

MESSY = (
    " 手机号 ,姓名,邮箱,生日,性别,城市\n"
    "138 0013 8000,  张伟 ,ZW@Example.COM,2024/1/5,男,杭州\n"
    "+86 (139) 0013-9000,李娜,,1990年3月4日,女,上海\n"
    "\n"
    "００８６１３７００１３７０００,Wang  Fang,wang@example.com,1985-12-31,female,\n"
)

EXPECTED = {
    "+8613800138000": ("张伟", "zw@example.com", dt.date(2024, 1, 5), "male", "杭州"),
    "+8613900139000": ("李娜", None, dt.date(1990, 3, 4), "female", "上海"),
    "+8613700137000": (
        "Wang Fang",
        "wang@example.com",
        dt.date(1985, 12, 31),
        "female",
        "",
    ),
}


def _as_tuples() -> dict[str, tuple[Any, ...]]:
    return {
        phone: (c.name, c.email, c.birthday, c.gender, c.city)
        for phone, c in customers_by_phone().items()
    }


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_messy_valid_file_in_each_encoding(
    encoding: Any, write_file: Any, run_import: Any, counts: Any
) -> None:
    path = write_file(f"customers-{encoding}.csv", MESSY, encoding)
    result = run_import("customers", path, "--json")
    assert result.code == 0, result.stderr
    assert result.json == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "rejected_rows": 0,
        "errors": [],
        "errors_total": 0,
        "errors_not_shown": 0,
    }
    assert _as_tuples() == EXPECTED
    assert counts()["Customer"] == 3


def test_gb18030_characters_outside_gbk_survive(
    write_file: Any, run_import: Any
) -> None:
    # 𠮷 is not in GBK: only GB18030's four-byte sequences can carry it.
    path = write_file("c.csv", "姓名,手机号\n吉𠮷,13800138000\n", "gb18030")
    assert run_import("customers", path).code == 0
    assert customers_by_phone()["+8613800138000"].name == "吉𠮷"


def test_xlsx_with_numbers_dates_and_excel_serials(
    write_xlsx: Any, run_import: Any
) -> None:
    serial = (dt.date(1990, 3, 4) - dt.date(1899, 12, 30)).days
    path = write_xlsx(
        "customers.xlsx",
        [
            ["phone", "name", "email", "birthday"],
            [13800138000, "张伟", "zw@example.com", dt.datetime(2024, 1, 5)],
            ["139-0013-9000", "李娜", None, serial],
            [13700137000.0, "Wang Fang", "wang@example.com", "1985年12月31日"],
        ],
    )
    result = run_import("customers", path, "--json")
    assert result.code == 0, result.stderr
    assert result.json["created"] == 3
    assert {p: (c.name, c.birthday) for p, c in customers_by_phone().items()} == {
        "+8613800138000": ("张伟", dt.date(2024, 1, 5)),
        "+8613900139000": ("李娜", dt.date(1990, 3, 4)),
        "+8613700137000": ("Wang Fang", dt.date(1985, 12, 31)),
    }


BAD_ROWS = [
    (
        "phone",
        "手机号,姓名\n13800138000,张伟\n12345,李娜\n",
        {
            "line": 3,
            "column": "手机号",
            "value": "*****",  # a phone number is masked
            "message": "not a valid phone number",
        },
    ),
    (
        "phone text",
        "手机号,姓名\n13800138000,张伟\nabc,李娜\n",
        {
            "line": 3,
            "column": "手机号",
            "value": "***",
            "message": "not a phone number",
        },
    ),
    (
        "email",
        "phone,email\n13800138000,zhang@\n",
        {
            "line": 2,
            "column": "email",
            "value": "z***@",  # an email address is masked
            "message": "not a valid email address",
        },
    ),
    (
        "impossible date",
        "phone,birthday\n13800138000,2024-02-30\n",
        {
            "line": 2,
            "column": "birthday",
            "value": None,  # a birthday is left out
            "message": "impossible date",
        },
    ),
    (
        "not a date",
        "phone,生日\n13800138000,next tuesday\n",
        {
            "line": 2,
            "column": "生日",
            "value": None,
            "message": "not a date (expected e.g. 2024-01-05, 2024/1/5 or 2024年1月5日)",
        },
    ),
    (
        "future birthday",
        "phone,birthday\n13800138000,2999-01-01\n",
        {
            "line": 2,
            "column": "birthday",
            "value": None,
            "message": "birthday out of range (accepted: 1900-01-01 to today)",
        },
    ),
    (
        "no key",
        "姓名,城市\n张伟,杭州\n",
        {
            "line": 2,
            "column": "",
            "value": "",
            "message": "a customer needs a phone number, an email address or a customer id",
        },
    ),
]


@pytest.mark.parametrize(
    ("label", "text", "error"), BAD_ROWS, ids=[b[0] for b in BAD_ROWS]
)
def test_bad_row_rejects_the_whole_file(
    label: Any,
    text: Any,
    error: Any,
    write_file: Any,
    run_import: Any,
    counts: Any,
    make_customer: Any,
) -> None:
    make_customer(name="已有", phone="+8615012345678")
    before = counts()
    result = run_import("customers", write_file("bad.csv", text), "--json")
    assert result.code == 1
    assert result.json == {
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "rejected_rows": 1,
        "errors": [error],
        "errors_total": 1,
        "errors_not_shown": 0,
    }
    assert counts() == before


def test_wrong_encoding_is_rejected_with_the_line(
    write_file: Any, run_import: Any, counts: Any, tmp_path: Any
) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        "name,phone\nAnn,13800138000\nJosé,13900139000\n".encode("latin-1")
    )
    before = counts()
    result = run_import("customers", path, "--json")
    assert result.code == 1
    assert result.json["errors"] == [
        {
            "line": 3,
            "column": "",
            "value": "",
            "message": "cannot read the file as UTF-8 or GB18030 (line 3)",
        }
    ]
    assert counts() == before


def test_every_problem_is_reported_and_nothing_written(
    write_file: Any, run_import: Any, counts: Any
) -> None:
    text = (
        "phone,email,birthday\n"
        "13800138000,ok@example.com,2000-01-01\n"
        "12,bad@,2000-13-01\n"
        "13900139000,fine@example.com,1999-09-09\n"
        "x,,\n"
    )
    before = counts()
    result = run_import("customers", write_file("c.csv", text), "--json")
    assert result.code == 1
    assert result.json["rejected_rows"] == 2
    assert result.json["errors"] == [
        {
            "line": 3,
            "column": "phone",
            "value": "**",
            "message": "not a valid phone number",
        },
        {
            "line": 3,
            "column": "email",
            "value": "b***@",
            "message": "not a valid email address",
        },
        {
            "line": 3,
            "column": "birthday",
            "value": None,
            "message": "impossible date",
        },
        {"line": 5, "column": "phone", "value": "*", "message": "not a phone number"},
    ]
    assert counts() == before


def test_reimport_changes_nothing(
    write_file: Any, run_import: Any, counts: Any
) -> None:
    path = write_file("c.csv", MESSY)
    assert run_import("customers", path).code == 0
    before = counts()
    stored = {
        c.pk: (c.name, c.phone, c.updated_at) for c in customers_by_phone().values()
    }
    result = run_import("customers", path, "--json")
    assert result.json == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
        "rejected_rows": 0,
        "errors": [],
        "errors_total": 0,
        "errors_not_shown": 0,
    }
    assert counts() == before
    assert {
        c.pk: (c.name, c.phone, c.updated_at) for c in customers_by_phone().values()
    } == stored


def test_the_same_person_twice_in_a_file_is_one_customer(
    write_file: Any, run_import: Any
) -> None:
    text = (
        "手机号,邮箱,姓名,城市\n"
        "13800138000,,张伟,\n"
        "+86 138-0013-8000,ZW@example.com,,\n"
        ",zw@EXAMPLE.com,,杭州\n"
    )
    result = run_import("customers", write_file("c.csv", text), "--json")
    assert result.json["created"] == 1
    (customer,) = customers_by_phone().values()
    assert (customer.name, customer.phone, customer.email, customer.city) == (
        "张伟",
        "+8613800138000",
        "zw@example.com",
        "杭州",
    )


def test_across_files_values_fill_blanks_and_never_overwrite(
    write_file: Any, run_import: Any
) -> None:
    run_import("customers", write_file("a.csv", "phone,name\n13800138000,张伟\n"))
    second = run_import(
        "customers",
        write_file("b.csv", "mobile,email,name\n13800138000,zw@example.com,张三\n"),
        "--json",
    )
    assert second.json["created"] == 0
    assert second.json["updated"] == 1
    (customer,) = customers_by_phone().values()
    assert (customer.name, customer.email) == ("张伟", "zw@example.com")
    assert (
        'notice: line 2, column "name": differs from the value already '
        "recorded; the recorded value was kept"
    ) in second.stderr
    assert "张三" not in second.stderr  # a name is personal data: not repeated
    third = run_import(
        "customers", write_file("c.csv", "email,name\nzw@example.com,张伟\n"), "--json"
    )
    assert third.json["unchanged"] == 1
    assert third.json["updated"] == 0


def test_source_identity_links_rows_across_files(
    write_file: Any, run_import: Any, counts: Any
) -> None:
    from guanxi.customers.models import CustomerIdentity

    run_import(
        "customers",
        write_file("a.csv", "客户编号,手机号\nC-1,13800138000\n"),
        "--source",
        "pos",
    )
    result = run_import(
        "customers",
        write_file("b.csv", "客户编号,邮箱\nC-1,a@example.com\n"),
        "--source",
        "pos",
        "--json",
    )
    assert result.json["updated"] == 1
    assert counts()["Customer"] == 1
    assert list(CustomerIdentity.objects.values_list("source", "external_id")) == [
        ("pos", "C-1")
    ]
    assert customers_by_phone()["+8613800138000"].email == "a@example.com"


def test_keys_of_two_different_customers_reject_the_row(
    write_file: Any, run_import: Any, counts: Any, make_customer: Any
) -> None:
    make_customer(name="A", phone="+8613800138000")
    b = make_customer(name="B", phone="+8613900139000", email="b@example.com")
    assert b.email_index
    before = counts()
    result = run_import(
        "customers",
        write_file("c.csv", "phone,email\n13800138000,b@example.com\n"),
        "--json",
    )
    assert result.json["errors"] == [
        {
            "line": 2,
            "column": "email",
            "value": "b***@example.com",
            "message": "belongs to another customer than the phone number of this row",
        }
    ]
    assert counts() == before


def test_tags_are_added_not_replaced(write_file: Any, run_import: Any) -> None:
    run_import("customers", write_file("a.csv", "phone,tags\n13800138000,VIP、茶友\n"))
    result = run_import(
        "customers",
        write_file("b.csv", 'phone,tags\n13800138000,"VIP, 新客"\n'),
        "--json",
    )
    assert result.json["updated"] == 1
    customer = customers_by_phone()["+8613800138000"]
    assert sorted(customer.tags.values_list("name", flat=True)) == [
        "VIP",
        "新客",
        "茶友",
    ]


def test_contact_data_is_encrypted_and_indexed(
    write_file: Any, run_import: Any
) -> None:
    from django.db import connection

    from guanxi.customers.search import phone_key

    run_import("customers", write_file("a.csv", MESSY))
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, name, phone_index FROM customers_customer")
        rows = cursor.fetchall()
    assert len(rows) == 3
    for phone, name, _index in rows:
        assert phone.startswith("v1:")
        assert not any(
            p in phone for p in ("13800138000", "13900139000", "13700137000")
        )
        assert name.startswith("v1:")
        assert not any(n in name for n in ("张伟", "李娜", "Wang"))
    assert phone_key("+8613800138000") in {index for _p, _n, index in rows}
