"""The segments Guanxi ships (editable like any other).

The business-threshold RFM segments of the seed playbook — high value (bought
within 7 days, on 3 or more days of the last 30, 800 or more spent in them),
potential (15 days, 2 days, 500) and sleeping (30 days or more since, at most
1 purchase day and at most 300 in the last 30) — and one per value quadrant.
"""

from django.db import migrations


def _rule(field, op, value):
    return {"field": field, "op": op, "value": value}


def _quadrant(value):
    return {"all": [_rule("quadrant", "eq", value)]}


DEFAULTS = [
    (
        "高价值客户 High value",
        "R ≤ 7 天 · F ≥ 3 次/月 · M ≥ 800 元。"
        " Bought within 7 days, on 3+ days of the last 30, spent 800+ in them.",
        {
            "all": [
                _rule("days_since_last_purchase", "lte", 7),
                _rule("orders_30d", "gte", 3),
                _rule("spend_30d", "gte", 800),
            ]
        },
    ),
    (
        "潜力客户 Potential",
        "R ≤ 15 天 · F ≥ 2 次/月 · M ≥ 500 元。"
        " Bought within 15 days, on 2+ days of the last 30, spent 500+ in them.",
        {
            "all": [
                _rule("days_since_last_purchase", "lte", 15),
                _rule("orders_30d", "gte", 2),
                _rule("spend_30d", "gte", 500),
            ]
        },
    ),
    (
        "沉睡客户 Sleeping",
        "R ≥ 30 天 · F ≤ 1 次/月 · M ≤ 300 元。"
        " No purchase for 30+ days, at most 1 purchase day and 300 spent in the last 30.",
        {
            "all": [
                _rule("days_since_last_purchase", "gte", 30),
                _rule("orders_30d", "lte", 1),
                _rule("spend_30d", "lte", 300),
            ]
        },
    ),
    (
        "明星客户 Star",
        "当前价值高、潜在价值高。 Current value high, potential value high.",
        _quadrant("star"),
    ),
    (
        "金牛客户 Cash cow",
        "当前价值高、潜在价值低。 Current value high, potential value low.",
        _quadrant("cash_cow"),
    ),
    (
        "潜力象限 Potential quadrant",
        "当前价值低、潜在价值高。 Current value low, potential value high.",
        _quadrant("potential"),
    ),
    (
        "基础客户 Basic",
        "当前价值低、潜在价值低。 Current value low, potential value low.",
        _quadrant("basic"),
    ),
]


def add_defaults(apps, schema_editor):
    Segment = apps.get_model("segments", "Segment")
    for name, description, rules in DEFAULTS:
        Segment.objects.get_or_create(
            name=name,
            defaults={"description": description, "rules": rules, "is_default": True},
        )


def remove_defaults(apps, schema_editor):
    Segment = apps.get_model("segments", "Segment")
    Segment.objects.filter(
        is_default=True, name__in=[name for name, _d, _r in DEFAULTS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("segments", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
