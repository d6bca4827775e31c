"""Order imports: customers created on the way, statuses, lines, presets, re-imports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from guanxi.ingest.tests.conftest import customers_by_phone

SHANGHAI = ZoneInfo("Asia/Shanghai")

ORDERS = (
    "订单号,下单时间,金额,状态,门店,手机号,姓名,邮箱\n"
    'A-1,2024-01-05 14:30,"¥1,299.00",已付款,西湖店,138 0013 8000,张伟,zw@example.com\n'
    "A-2,2024/1/6,￥88,已退款,西湖店,13800138000,,\n"
    "A-3,2024年1月7日,$12.5,,,13900139000,李娜,\n"
)


def _orders() -> Any:
    from guanxi.commerce.models import Order

    return {
        o.external_id: (o.customer.phone, o.ordered_at, o.amount, o.status, o.store)
        for o in Order.objects.select_related("customer")
    }


def test_orders_create_their_customers(
    write_file: Any, run_import: Any, counts: Any
) -> None:
    result = run_import("orders", write_file("o.csv", ORDERS), "--json")
    assert result.json == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "rejected_rows": 0,
        "errors_total": 0,
        "errors_not_shown": 0,
        "errors": [],
    }
    assert _orders() == {
        "A-1": (
            "+8613800138000",
            dt.datetime(2024, 1, 5, 14, 30, tzinfo=SHANGHAI),
            Decimal("1299.00"),
            "paid",
            "西湖店",
        ),
        "A-2": (
            "+8613800138000",
            dt.datetime(2024, 1, 6, tzinfo=SHANGHAI),
            Decimal("88.00"),
            "refunded",
            "西湖店",
        ),
        "A-3": (
            "+8613900139000",
            dt.datetime(2024, 1, 7, tzinfo=SHANGHAI),
            Decimal("12.50"),
            "paid",
            "",
        ),
    }
    people = customers_by_phone()
    assert set(people) == {"+8613800138000", "+8613900139000"}
    assert people["+8613800138000"].email == "zw@example.com"
    # First seen: the earliest order that introduced the customer.
    assert people["+8613800138000"].first_seen_at == dt.datetime(
        2024, 1, 5, 14, 30, tzinfo=SHANGHAI
    )
    assert counts()["Customer"] == 2


def test_orders_attach_to_existing_customers(
    write_file: Any, run_import: Any, make_customer: Any, counts: Any
) -> None:
    known = make_customer(name="张伟", phone="+8613800138000")
    run_import("orders", write_file("o.csv", ORDERS))
    assert _orders()["A-1"][0] == "+8613800138000"
    from guanxi.commerce.models import Order

    assert Order.objects.get(external_id="A-1").customer_id == known.pk
    assert counts()["Customer"] == 2


def test_reimport_is_a_noop_and_a_refund_is_an_update(
    write_file: Any, run_import: Any, counts: Any
) -> None:
    path = write_file("o.csv", ORDERS)
    run_import("orders", path)
    before = counts()
    again = run_import("orders", path, "--json")
    assert again.json == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
        "rejected_rows": 0,
        "errors_total": 0,
        "errors_not_shown": 0,
        "errors": [],
    }
    assert counts() == before
    refunded = ORDERS.replace("已付款", "已退款")
    result = run_import("orders", write_file("o2.csv", refunded), "--json")
    assert (result.json["updated"], result.json["unchanged"]) == (1, 2)
    assert _orders()["A-1"][3] == "refunded"
    assert counts() == before


BAD_ORDERS = [
    (
        "negative amount",
        "订单号,下单时间,金额,手机号\nA-1,2024-01-05,-5,13800138000\n",
        {
            "line": 2,
            "column": "金额",
            "value": "-5",
            "message": "amount must not be negative",
        },
    ),
    (
        "non-numeric amount",
        "订单号,下单时间,金额,手机号\nA-1,2024-01-05,about 5,13800138000\n",
        {"line": 2, "column": "金额", "value": "about 5", "message": "not an amount"},
    ),
    (
        "impossible date",
        "order_id,ordered_at,amount,phone\nA-1,2024-02-30 10:00,5,13800138000\n",
        {
            "line": 2,
            "column": "ordered_at",
            "value": "2024-02-30 10:00",
            "message": "impossible date",
        },
    ),
    (
        "impossible time",
        "order_id,ordered_at,amount,phone\nA-1,2024-02-03 25:00,5,13800138000\n",
        {
            "line": 2,
            "column": "ordered_at",
            "value": "2024-02-03 25:00",
            "message": "impossible time",
        },
    ),
    (
        "unknown status",
        "order_id,ordered_at,amount,status,phone\nA-1,2024-02-03,5,lost,13800138000\n",
        {
            "line": 2,
            "column": "status",
            "value": "lost",
            "message": "unknown order status (expected one of: paid, pending, cancelled, refunded, partially_refunded)",
        },
    ),
    (
        "missing amount",
        "order_id,ordered_at,amount,phone\nA-1,2024-02-03,,13800138000\n",
        {"line": 2, "column": "amount", "value": "", "message": "a value is required"},
    ),
    (
        "unknown customer id",
        "order_id,ordered_at,amount,customer id\nA-1,2024-02-03,5,C-9\n",
        {
            "line": 2,
            "column": "customer id",
            "value": "C-9",
            "message": "unknown customer, and the row has no name, phone or email to create one",
        },
    ),
    (
        "no customer",
        "order_id,ordered_at,amount,phone\nA-1,2024-02-03,5,\n",
        {
            "line": 2,
            "column": "",
            "value": "",
            "message": "the row has no customer (phone, email, name or customer id)",
        },
    ),
    (
        "bad quantity",
        "order_id,ordered_at,amount,phone,sku,quantity\nA-1,2024-02-03,5,13800138000,T-1,1.5\n",
        {
            "line": 2,
            "column": "quantity",
            "value": "1.5",
            "message": "quantity must be a whole number of at least 1",
        },
    ),
    (
        "same order twice",
        "order_id,ordered_at,amount,phone\nA-1,2024-02-03,5,13800138000\nA-1,2024-02-03,6,13800138000\n",
        {
            "line": 3,
            "column": "order_id",
            "value": "A-1",
            "message": "this order appears on line 2 with different values",
        },
    ),
]


@pytest.mark.parametrize(
    ("label", "text", "error"), BAD_ORDERS, ids=[b[0] for b in BAD_ORDERS]
)
def test_bad_order_rows_reject_the_file(
    label: Any,
    text: Any,
    error: Any,
    write_file: Any,
    run_import: Any,
    counts: Any,
    make_customer: Any,
) -> None:
    make_customer(name="已有", phone="+8615012345678")
    # A valid row beside the bad one: it must not be written either.
    good = {"订单号": "B-1", "order_id": "B-1", "下单时间": "2024-01-01"}
    good |= {"ordered_at": "2024-01-01", "金额": "1", "amount": "1"}
    good |= {"手机号": "15012345678", "phone": "15012345678"}
    header = text.split("\n")[0].split(",")
    valid = ",".join(good.get(h, "") for h in header)
    if "customer id" in header:
        valid = ""
    before = counts()
    result = run_import("orders", write_file("bad.csv", text + valid), "--json")
    assert result.code == 1
    assert result.json["errors"] == [error]
    assert result.json["rejected_rows"] == 1
    assert counts() == before


def test_known_customer_id_needs_no_customer_columns(
    write_file: Any, run_import: Any, counts: Any
) -> None:
    run_import(
        "customers",
        write_file("c.csv", "客户编号,手机号\nC-1,13800138000\n"),
        "--source",
        "pos",
    )
    result = run_import(
        "orders",
        write_file("o.csv", "订单号,下单时间,金额,客户编号\nP-1,2024-02-03,5,C-1\n"),
        "--source",
        "pos",
        "--json",
    )
    assert result.json["created"] == 1
    assert _orders()["P-1"][0] == "+8613800138000"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "订单号,下单时间,手机号\nA-1,2024-01-05,13800138000\n",
            {
                "line": 1,
                "column": "amount",
                "value": "",
                "message": "no column for amount (expected a header like 金额, amount, 实付金额)",
            },
        ),
        (
            "订单号,下单时间,金额\nA-1,2024-01-05,5\n",
            {
                "line": 1,
                "column": "",
                "value": "",
                "message": "the file has no customer column (phone, email, name or customer id)",
            },
        ),
    ],
    ids=["amount", "customer"],
)
def test_missing_required_column(
    text: Any, error: Any, write_file: Any, run_import: Any, counts: Any
) -> None:
    before = counts()
    result = run_import("orders", write_file("o.csv", text), "--json")
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


SHOPIFY = (
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,"
    "Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,"
    "Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,"
    "Lineitem sku,Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,"
    "Billing Name,Billing Street,Billing City,Billing Zip,Billing Country,Billing Phone,"
    "Shipping Name,Shipping City,Shipping Phone,Cancelled at,Refunded Amount,Id,Source,Phone\n"
    "#1001,ann@example.com,paid,2024-03-01 10:15:00 +0800,fulfilled,,yes,"
    "USD,30.00,5.00,0.00,35.00,,0.00,Standard,"
    "2024-03-01 10:14:00 +0800,2,Green tea,10.00,,"
    "TEA-1,true,true,fulfilled,"
    "Ann Lee,1 Main St,Hangzhou,310000,CN,+86 138 0013 8000,"
    "Ann Lee,Hangzhou,,,0.00,555001,web,\n"
    "#1001,,,,,,,,,,,,,,,,1,Tea cup,10.00,,CUP-1,true,true,fulfilled,,,,,,,,,,,,,,\n"
    "#1002,bob@example.com,refunded,,unfulfilled,,no,"
    "USD,12.00,0.00,0.00,12.00,,0.00,,"
    "2024-03-02 09:00:00 -0500,1,Oolong,12.00,,"
    "TEA-2,true,true,,"
    "Bob Smith,,New York,,US,+1 212 555 0100,"
    ",,,,12.00,555002,web,\n"
)


def test_shopify_preset(write_file: Any, run_import: Any) -> None:
    from guanxi.commerce.models import Order

    result = run_import(
        "orders",
        write_file("orders_export.csv", SHOPIFY),
        "--preset",
        "shopify",
        "--json",
    )
    assert result.json["created"] == 2, result.json
    first = Order.objects.get(source="shopify", external_id="#1001")
    assert (first.amount, first.currency, first.status) == (
        Decimal("35.00"),
        "USD",
        "paid",
    )
    assert first.ordered_at == dt.datetime(2024, 3, 1, 2, 15, tzinfo=dt.UTC)
    assert sorted(
        (line.product.sku, line.quantity, line.unit_price) for line in first.lines.all()
    ) == [("CUP-1", 1, Decimal("10.00")), ("TEA-1", 2, Decimal("10.00"))]
    second = Order.objects.get(source="shopify", external_id="#1002")
    # Not paid yet: "Created at" stands in for "Paid at".
    assert second.ordered_at == dt.datetime(2024, 3, 2, 14, 0, tzinfo=dt.UTC)
    assert second.status == "refunded"
    assert second.customer.phone == "+12125550100"
    assert first.customer.name == "Ann Lee"
    assert first.customer.email == "ann@example.com"
    again = run_import(
        "orders",
        write_file("orders_export.csv", SHOPIFY),
        "--preset",
        "shopify",
        "--json",
    )
    assert (again.json["created"], again.json["unchanged"]) == (0, 2)


YOUZAN = (
    "订单号,订单状态,订单创建时间,买家付款时间,商品名称,商品编码,商品单价,数量,订单实付金额,"
    "买家昵称,买家手机号,收货人姓名,收货人手机号,详细收货地址,门店名称\n"
    "E2024010512000001,交易成功,2024-01-05 12:00:00,2024-01-05 12:01:30,西湖龙井 250g,LJ-250,"
    "198.00,1,198.00,茶友小王,13800138000,王芳,13800138000,浙江省杭州市西湖区龙井路1号,西湖店\n"
    "E2024010612000002,已退款,2024-01-06 08:00:00,2024-01-06 08:00:10,白茶饼,,99.00,2,198.00,"
    "老李,13900139000,李雷,13900139000,上海市黄浦区,\n"
)


def test_youzan_preset_in_gbk(write_file: Any, run_import: Any) -> None:
    from guanxi.commerce.models import Order

    result = run_import(
        "orders",
        write_file("有赞订单.csv", YOUZAN, "gbk"),
        "--preset",
        "youzan",
        "--json",
    )
    assert result.json["created"] == 2, result.json
    first = Order.objects.get(source="youzan", external_id="E2024010512000001")
    assert first.ordered_at == dt.datetime(2024, 1, 5, 12, 1, 30, tzinfo=SHANGHAI)
    assert (first.status, first.store, first.amount) == (
        "paid",
        "西湖店",
        Decimal("198.00"),
    )
    assert first.customer.name == "王芳"
    assert first.customer.address == "浙江省杭州市西湖区龙井路1号"
    second = Order.objects.get(source="youzan", external_id="E2024010612000002")
    assert second.status == "refunded"
    (line,) = second.lines.all()
    assert (line.product.sku, line.product.name, line.quantity) == (
        "name:白茶饼",
        "白茶饼",
        2,
    )


def test_xlsx_orders_with_serial_dates(write_xlsx: Any, run_import: Any) -> None:
    from guanxi.commerce.models import Order

    serial = (dt.date(2024, 1, 5) - dt.date(1899, 12, 30)).days + 0.5
    path = write_xlsx(
        "o.xlsx",
        [
            ["订单号", "下单时间", "金额", "手机号"],
            [1001, serial, 1299, 13800138000],
            [1002, dt.datetime(2024, 1, 6, 9, 30), 88.5, "139 0013 9000"],
        ],
    )
    result = run_import("orders", path, "--json")
    assert result.json["created"] == 2, result.json
    first = Order.objects.get(external_id="1001")
    assert first.ordered_at == dt.datetime(2024, 1, 5, 12, 0, tzinfo=SHANGHAI)
    assert first.amount == Decimal("1299.00")
    assert Order.objects.get(external_id="1002").amount == Decimal("88.50")


def test_interactions_import_and_reimport(
    write_file: Any, run_import: Any, make_customer: Any, counts: Any
) -> None:
    from guanxi.customers.models import Interaction

    make_customer(name="张伟", phone="+8613800138000")
    text = (
        "手机号,类型,时间,渠道,备注\n"
        "13800138000,到店,2024-01-05 10:00,西湖店,试喝了龙井\n"
        "13800138000,complaint,2024-01-06,电话,物流太慢\n"
        "13900139000,review,2024-01-07,app,好评\n"
    )
    path = write_file("i.csv", text)
    result = run_import("interactions", path, "--json")
    assert result.json["created"] == 3
    assert sorted(Interaction.objects.values_list("kind", flat=True)) == [
        "complaint",
        "review",
        "visit",
    ]
    assert counts()["Customer"] == 2
    before = counts()
    again = run_import("interactions", path, "--json")
    assert (again.json["created"], again.json["unchanged"]) == (0, 3)
    assert counts() == before
    bad = run_import(
        "interactions",
        write_file("b.csv", "phone,kind,time\n13800138000,dance,2024-01-01\n"),
        "--json",
    )
    assert bad.json["errors"] == [
        {
            "line": 2,
            "column": "kind",
            "value": "dance",
            "message": "unknown interaction kind (expected one of: visit, login, message_opened, message_clicked, community_post, call, event_attended, review, complaint, chat, note)",
        }
    ]
    assert counts() == before
