"""What the builder's template prints: each node with its path, the fields and
operators to choose from and the input that fits the chosen operator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from guanxi.access.choices import Role
from guanxi.customers.selectors import tag_list
from guanxi.segments.builder import MAX_VISUAL_DEPTH, Node
from guanxi.segments.fields import (
    FIELDS,
    LIST_OPS,
    NO_VALUE_OPS,
    Kind,
    Op,
    field_groups,
)

__all__ = ["BuilderOptions", "builder_context", "builder_options", "rules_text"]

#: Tags offered in a rule's menu (the most a business is expected to use).
MAX_TAG_OPTIONS = 2000


@dataclass(frozen=True)
class BuilderOptions:
    """The tags and account managers a rule may name."""

    tags: list[tuple[int, str]]
    managers: list[tuple[int, str]]

    @property
    def tag_ids(self) -> list[int]:
        return [pk for pk, _name in self.tags]


def builder_options() -> BuilderOptions:
    managers = (
        get_user_model()
        .objects.filter(is_active=True, staff_profile__role=Role.ACCOUNT_MANAGER)
        .order_by("username")
        .values_list("pk", "username")
    )
    return BuilderOptions(
        tags=list(tag_list().values_list("pk", "name")[:MAX_TAG_OPTIONS]),
        managers=[(pk, str(name)) for pk, name in managers],
    )


def _widget(kind: Kind, op: str) -> str:
    if op in NO_VALUE_OPS:
        return "none"
    if op == Op.IN_LAST_DAYS:
        return "number"
    if kind in (Kind.INT, Kind.FLOAT):
        return "range" if op == Op.BETWEEN else "number"
    if kind == Kind.DATE:
        return "daterange" if op == Op.BETWEEN else "date"
    if kind == Kind.TEXT:
        return "text"
    if kind == Kind.TAG:
        return "select"
    if op in LIST_OPS:
        return "checks" if kind == Kind.CHOICE else "multi"
    return "select"


def _choices(node: Node, options: BuilderOptions) -> list[tuple[str, str, bool]]:
    spec = node.spec
    assert spec is not None
    if spec.kind == Kind.TAG:
        pairs = [(str(pk), name) for pk, name in options.tags]
    elif spec.kind == Kind.USER:
        pairs = [(str(pk), name) for pk, name in options.managers]
    elif spec.choices is not None:
        pairs = spec.choices()
    else:
        return []
    known = {value for value, _label in pairs}
    # A value the menu no longer offers (a tag deleted since) stays visible.
    pairs += [(v, f"#{v}") for v in node.values if v and v not in known]
    return [(value, label, value in node.values) for value, label in pairs]


def _rule(node: Node, options: BuilderOptions) -> dict[str, Any]:
    spec = node.spec
    assert spec is not None
    values = node.values
    widget = _widget(spec.kind, node.op)
    return {
        "field": spec.key,
        "op": node.op,
        "fields": [
            (label, [(f.key, str(f.label), f.key == spec.key) for f in fields])
            for label, fields in field_groups()
        ],
        "ops": [(op.value, spec.op_label(op), op == node.op) for op in spec.ops],
        "widget": widget,
        "choices": _choices(node, options)
        if widget in ("select", "checks", "multi")
        else [],
        "text": ", ".join(values) if widget == "text" else "",
        "first": values[0] if values else "",
        "second": values[1] if len(values) > 1 else "",
        "step": "1" if spec.kind == Kind.INT or node.op == Op.IN_LAST_DAYS else "any",
    }


def _node(node: Node, options: BuilderOptions, path: str) -> dict[str, Any]:
    depth = path.count(".")
    out: dict[str, Any] = {
        "path": path,
        "kind": node.kind,
        "depth": depth,
        "is_group": node.is_group,
        "is_root": path == "r",
    }
    if node.is_group:
        out["children"] = [
            _node(child, options, f"{path}.{i}")
            for i, child in enumerate(node.children)
        ]
        out["can_add_group"] = depth < MAX_VISUAL_DEPTH
    else:
        out.update(_rule(node, options))
    return out


def builder_context(root: Node, options: BuilderOptions) -> dict[str, Any]:
    """The builder's tree ready to print (``segments/partials/builder.html``)."""
    return {"root": _node(root, options, "r")}


def _value_text(cond: dict[str, Any], options: BuilderOptions) -> str:
    spec = FIELDS[cond["field"]]
    value = cond.get("value")
    names: dict[str, str] = {}
    if spec.kind == Kind.TAG:
        names = {str(pk): name for pk, name in options.tags}
    elif spec.kind == Kind.USER:
        names = {str(pk): name for pk, name in options.managers}
    elif spec.choices is not None:
        names = dict(spec.choices())

    def one(v: Any) -> str:
        return names.get(
            str(v), f"#{v}" if spec.kind in (Kind.TAG, Kind.USER) else str(v)
        )

    if value is None:
        return ""
    if cond["op"] == Op.BETWEEN:
        return _("%(low)s to %(high)s") % {"low": one(value[0]), "high": one(value[1])}
    if isinstance(value, list):
        return ", ".join(one(v) for v in value)
    return one(value)


def rules_text(tree: dict[str, Any], options: BuilderOptions) -> str:
    """A checked tree in words ("Value quadrant is Star and City is 上海 and
    not (Tag has complained)"), for lists and pages."""

    def words(node: dict[str, Any], nested: bool) -> str:
        if "all" in node or "any" in node:
            key = "all" if "all" in node else "any"
            if not node[key]:
                return _("every customer")
            joiner = _(" and ") if key == "all" else _(" or ")
            text = joiner.join(words(c, True) for c in node[key])
            return f"({text})" if nested and len(node[key]) > 1 else text
        if "not" in node:
            return _("not %(rule)s") % {"rule": words(node["not"], True)}
        spec = FIELDS[node["field"]]
        value = _value_text(node, options)
        op = spec.op_label(Op(node["op"]))
        if node["op"] == Op.IN_LAST_DAYS:
            return _("%(field)s in the last %(days)s days") % {
                "field": spec.label,
                "days": value,
            }
        return " ".join(part for part in (str(spec.label), op, value) if part)

    return words(tree, False)
