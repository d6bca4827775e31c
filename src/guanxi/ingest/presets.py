"""What each import kind can read, the header names that map to it, and the
presets shipped for common exports (generic, Shopify, Youzan 有赞).

A mapping is ``{field: header}`` or ``{field: [header, header, …]}``: with a
list, the first header present in the file whose cell is not empty wins (a
Shopify order has ``Paid at`` only once it is paid, ``Created at`` always).
Columns are documented in ``docs/import-presets.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from guanxi.ingest.choices import ImportKind

__all__ = [
    "BUILTIN_PRESETS",
    "FIELDS",
    "FIELD_LABELS",
    "PERSONAL_FIELDS",
    "PERSON_FIELDS",
    "REQUIRED",
    "Preset",
    "auto_mapping",
    "header_key",
]

Mapping = dict[str, str | list[str]]

_CUSTOMER_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name", "客户姓名", "名字", "customer name", "full name"),
    "phone": (
        "手机号",
        "phone",
        "mobile",
        "手机",
        "手机号码",
        "电话",
        "联系电话",
        "tel",
    ),
    "email": ("邮箱", "email", "e-mail", "电子邮箱", "邮件"),
    "birthday": ("生日", "birthday", "出生日期", "date of birth", "dob"),
    "gender": ("性别", "gender", "sex"),
    "city": ("城市", "city"),
    "address": ("地址", "address", "收货地址", "详细地址"),
}

FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    ImportKind.CUSTOMERS: {
        "external_id": (
            "客户编号",
            "客户id",
            "会员号",
            "会员编号",
            "customer id",
            "external id",
            "id",
        ),
        **_CUSTOMER_FIELDS,
        "tags": ("标签", "tags"),
        "language": ("语言", "language", "lang", "首选语言", "preferred language"),
        "time_zone": ("时区", "time zone", "time_zone", "timezone", "tz"),
    },
    ImportKind.ORDERS: {
        "order_id": (
            "订单号",
            "order_id",
            "order id",
            "订单编号",
            "order",
            "order number",
        ),
        "ordered_at": (
            "下单时间",
            "ordered_at",
            "order date",
            "订单时间",
            "日期",
            "date",
            "创建时间",
        ),
        "amount": ("金额", "amount", "实付金额", "订单金额", "total", "支付金额"),
        "currency": ("币种", "currency", "货币"),
        "status": ("状态", "status", "订单状态"),
        "store": ("门店", "store", "店铺"),
        "channel": ("渠道", "channel", "来源渠道"),
        "customer_id": ("客户编号", "客户id", "会员号", "customer id", "customer_id"),
        **{
            f"customer_{k}": v
            for k, v in _CUSTOMER_FIELDS.items()
            if k in {"name", "phone", "email", "city", "address"}
        },
        "sku": ("商品编码", "sku", "货号"),
        "product_name": ("商品名称", "product", "product name", "商品"),
        "category": ("品类", "category", "商品类目", "类目"),
        "quantity": ("数量", "quantity", "qty", "商品数量"),
        "unit_price": ("单价", "unit price", "price", "商品单价"),
        "coupon": ("优惠券", "券码", "优惠券码", "coupon", "coupon code"),
    },
    ImportKind.INTERACTIONS: {
        "external_id": ("记录编号", "interaction id", "external id", "id"),
        "kind": ("类型", "kind", "type", "互动类型"),
        "occurred_at": ("时间", "occurred_at", "发生时间", "date", "日期", "time"),
        "channel": ("渠道", "channel"),
        "note": ("备注", "note", "notes", "内容", "content"),
        "customer_id": ("客户编号", "客户id", "会员号", "customer id", "customer_id"),
        **{
            f"customer_{k}": v
            for k, v in _CUSTOMER_FIELDS.items()
            if k in {"name", "phone", "email"}
        },
    },
}

#: Each field as people call it, in the wizard's column mapping.
FIELD_LABELS: dict[str, Any] = {
    "external_id": _("Record id in the source system"),
    "name": _("Name"),
    "phone": _("Mobile phone"),
    "email": _("E-mail"),
    "birthday": _("Birthday"),
    "gender": _("Gender"),
    "city": _("City"),
    "address": _("Address"),
    "tags": _("Tags"),
    "language": _("Language (zh-hans/中文 or en/English)"),
    "time_zone": _("Time zone (Asia/Shanghai)"),
    "order_id": _("Order number"),
    "ordered_at": _("Order time"),
    "amount": _("Amount paid"),
    "currency": _("Currency"),
    "status": _("Order status"),
    "store": _("Store"),
    "channel": _("Channel"),
    "customer_id": _("Customer id in the source system"),
    "customer_name": _("Customer's name"),
    "customer_phone": _("Customer's mobile phone"),
    "customer_email": _("Customer's e-mail"),
    "customer_city": _("Customer's city"),
    "customer_address": _("Customer's address"),
    "sku": _("Product code (SKU)"),
    "product_name": _("Product name"),
    "category": _("Product category"),
    "quantity": _("Quantity"),
    "unit_price": _("Unit price"),
    "coupon": _("Coupon code"),
    "kind": _("Kind of interaction"),
    "occurred_at": _("Time"),
    "note": _("Note"),
}

#: Fields that hold personal data: their sample values are masked for roles
#: that see contact data masked.
PERSONAL_FIELDS = frozenset(
    {
        *_CUSTOMER_FIELDS,
        *(f"customer_{k}" for k in _CUSTOMER_FIELDS),
        "note",
    }
)

REQUIRED: dict[str, tuple[str, ...]] = {
    ImportKind.CUSTOMERS: (),
    ImportKind.ORDERS: ("order_id", "ordered_at", "amount"),
    ImportKind.INTERACTIONS: ("kind", "occurred_at"),
}

# Fields that tie a row to a person; a file needs at least one of them.
PERSON_FIELDS: dict[str, tuple[str, ...]] = {
    ImportKind.CUSTOMERS: ("name", "phone", "email", "external_id"),
    ImportKind.ORDERS: (
        "customer_id",
        "customer_phone",
        "customer_email",
        "customer_name",
    ),
    ImportKind.INTERACTIONS: (
        "customer_id",
        "customer_phone",
        "customer_email",
        "customer_name",
    ),
}

_SEPARATORS = re.compile(r"[\s_\-:：（）()]+")


def header_key(header: str) -> str:
    """Headers compare case-, space- and underscore-insensitively."""
    return _SEPARATORS.sub(" ", header.strip().lower()).strip()


def auto_mapping(kind: str, headers: list[str]) -> Mapping:
    """Map every field whose known names match a header of the file."""
    present = {header_key(h): h for h in headers if h}
    mapping: Mapping = {}
    for field, names in FIELDS[kind].items():
        for name in (field, *names):
            header = present.get(header_key(name))
            if header is not None:
                mapping[field] = header
                break
    return mapping


@dataclass(frozen=True)
class Preset:
    name: str
    kind: str
    label: object
    mapping: Mapping
    source: str
    status_values: dict[str, str]


# Status words as the exports write them, mapped to Guanxi's order statuses.
GENERIC_STATUS = {
    "paid": "paid",
    "completed": "paid",
    "complete": "paid",
    "已付款": "paid",
    "已支付": "paid",
    "已完成": "paid",
    "交易成功": "paid",
    "pending": "pending",
    "unpaid": "pending",
    "待付款": "pending",
    "未付款": "pending",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "已取消": "cancelled",
    "refunded": "refunded",
    "已退款": "refunded",
    "partially refunded": "partially_refunded",
    "partially_refunded": "partially_refunded",
    "部分退款": "partially_refunded",
}

SHOPIFY_STATUS = {
    "paid": "paid",
    "pending": "pending",
    "authorized": "pending",
    "partially_paid": "pending",
    "partially paid": "pending",
    "refunded": "refunded",
    "partially_refunded": "partially_refunded",
    "partially refunded": "partially_refunded",
    "voided": "cancelled",
    "expired": "cancelled",
}

YOUZAN_STATUS = {
    "待付款": "pending",
    "待成团": "pending",
    "待接单": "paid",
    "待发货": "paid",
    "已发货": "paid",
    "待收货": "paid",
    "已完成": "paid",
    "交易成功": "paid",
    "交易完成": "paid",
    "交易关闭": "cancelled",
    "已关闭": "cancelled",
    "已取消": "cancelled",
    "退款中": "paid",
    "已退款": "refunded",
    "退款成功": "refunded",
    "全额退款": "refunded",
    "部分退款": "partially_refunded",
}

BUILTIN_PRESETS: dict[tuple[str, str], Preset] = {
    (p.name, p.kind): p
    for p in (
        Preset(
            name="generic",
            kind=kind,
            label=_("Generic (Chinese or English headers)"),
            mapping={},
            source="import",
            status_values=GENERIC_STATUS,
        )
        for kind in ImportKind.values
    )
}
BUILTIN_PRESETS[("shopify", ImportKind.ORDERS)] = Preset(
    name="shopify",
    kind=ImportKind.ORDERS,
    label=_("Shopify order export"),
    mapping={
        "order_id": "Name",
        "ordered_at": ["Paid at", "Created at"],
        "amount": "Total",
        "currency": "Currency",
        "status": "Financial Status",
        "channel": "Source",
        "store": "Location",
        "customer_name": ["Billing Name", "Shipping Name"],
        "customer_phone": ["Billing Phone", "Phone", "Shipping Phone"],
        "customer_email": "Email",
        "customer_city": ["Billing City", "Shipping City"],
        "sku": "Lineitem sku",
        "product_name": "Lineitem name",
        "quantity": "Lineitem quantity",
        "unit_price": "Lineitem price",
    },
    source="shopify",
    status_values=SHOPIFY_STATUS,
)
BUILTIN_PRESETS[("youzan", ImportKind.ORDERS)] = Preset(
    name="youzan",
    kind=ImportKind.ORDERS,
    label=_("Youzan (有赞) order export"),
    mapping={
        "order_id": "订单号",
        "ordered_at": ["付款时间", "买家付款时间", "订单创建时间"],
        "amount": ["订单实付金额", "实付金额"],
        "status": "订单状态",
        "store": ["门店名称", "所属门店", "店铺名称"],
        "channel": ["订单来源", "销售渠道"],
        "customer_name": ["收货人姓名", "收货人/提货人", "收货人", "买家昵称"],
        "customer_phone": [
            "买家手机号",
            "收货人手机号",
            "收货人手机号/提货人手机号",
            "联系电话",
        ],
        "customer_city": ["收货人所在市", "市"],
        "customer_address": ["详细收货地址", "详细收货地址/提货地址", "收货地址"],
        "sku": ["商品编码", "规格编码"],
        "product_name": "商品名称",
        "quantity": ["数量", "商品数量"],
        "unit_price": ["商品单价", "单价"],
    },
    source="youzan",
    status_values=YOUZAN_STATUS,
)
