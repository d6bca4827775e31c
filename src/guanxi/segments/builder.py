"""The visual builder's form: a rule tree as named inputs, and back.

Every node of the tree has a path (``r`` the outermost group, ``r.0`` its first
child, ``r.0.2`` …); the form lists the paths in ``node`` and holds each node's
``<path>.kind`` (all / any / none / rule) and, for a rule, ``<path>.field``,
``<path>.op`` and ``<path>.value`` (repeated for lists and ranges). The server
rebuilds the tree from the form on every change (htmx posts the whole form), so
the page needs no script of its own. A "none of" group is ``{"not": {"any":
[...]}}`` in the stored rules.

Nothing here checks values: the rules' checks do that, with the same messages
as the API.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

from django.http import QueryDict

from guanxi.segments.fields import FIELDS, LIST_OPS, NO_VALUE_OPS, Kind, Op, RuleField
from guanxi.segments.rules import EVERYONE

__all__ = [
    "MAX_VISUAL_DEPTH",
    "Node",
    "apply_action",
    "default_rule",
    "node_from_form",
    "node_from_rules",
    "rules_from_node",
]

#: Groups the builder nests (the outermost one is depth 0).
MAX_VISUAL_DEPTH = 3
#: Nodes read from one form; more are ignored (the checks bound the rules too).
MAX_FORM_NODES = 200
_PATH = re.compile(r"r(?:\.\d{1,3}){0,6}")
_GROUP_KINDS = ("all", "any", "none")
_SPLIT = re.compile(r"[,，、;；\n]")


@dataclasses.dataclass
class Node:
    """A group (``kind`` all, any, none) or a rule (``kind`` rule)."""

    kind: str
    children: list[Node] = dataclasses.field(default_factory=list)
    field: str = ""
    op: str = ""
    values: list[str] = dataclasses.field(default_factory=list)

    @property
    def is_group(self) -> bool:
        return self.kind != "rule"

    @property
    def spec(self) -> RuleField | None:
        return FIELDS.get(self.field)


def default_rule(spec: RuleField | None = None, *, tags: Sequence[int] = ()) -> Node:
    """A rule that runs as it is (the builder's count answers at once)."""
    spec = spec or FIELDS["quadrant"]
    op = spec.ops[0]
    return Node(
        kind="rule", field=spec.key, op=op, values=_default_values(spec, op, tags)
    )


def _default_values(spec: RuleField, op: str, tags: Sequence[int]) -> list[str]:
    if op in NO_VALUE_OPS:
        return []
    if spec.kind == Kind.CHOICE and spec.choice_values:
        return [spec.choice_values[0]]
    if spec.kind == Kind.TAG and tags:
        return [str(tags[0])]
    return [""]


# --- rules (JSON) <-> nodes --------------------------------------------------


def node_from_rules(rules: Any) -> Node:
    """The builder's tree of stored (normalised) rules."""
    if not isinstance(rules, dict) or not rules:
        rules = EVERYONE
    root = _from_json(rules)
    if not root.is_group:
        root = Node(kind="all", children=[root])
    return root


def _from_json(node: dict[str, Any]) -> Node:
    if "all" in node or "any" in node:
        kind = "all" if "all" in node else "any"
        return Node(kind=kind, children=[_from_json(c) for c in node[kind]])
    if "not" in node:
        inner = node["not"]
        if isinstance(inner, dict) and list(inner) == ["any"]:
            return Node(kind="none", children=[_from_json(c) for c in inner["any"]])
        return Node(kind="none", children=[_from_json(inner)])
    if node.get("field") not in FIELDS:
        return default_rule()
    value = node.get("value")
    if value is None:
        values: list[str] = []
    elif isinstance(value, list):
        values = [str(v) for v in value]
    else:
        values = [str(value)]
    return Node(
        kind="rule",
        field=str(node.get("field", "")),
        op=str(node.get("op", "")),
        values=values,
    )


def rules_from_node(node: Node) -> dict[str, Any]:
    """The rules (JSON) a builder tree stands for, not yet checked."""
    if node.kind in ("all", "any"):
        return {node.kind: [rules_from_node(c) for c in node.children]}
    if node.kind == "none":
        return {"not": {"any": [rules_from_node(c) for c in node.children]}}
    rule: dict[str, Any] = {"field": node.field, "op": node.op}
    if node.op in NO_VALUE_OPS:
        return rule
    spec = node.spec
    values = node.values
    if spec is not None and spec.kind == Kind.TAG:
        rule["value"] = _tag_value(values[0]) if values else ""
        return rule
    if node.op in LIST_OPS:
        if spec is not None and spec.kind == Kind.TEXT:
            values = [p.strip() for v in values for p in _SPLIT.split(v)]
        rule["value"] = [v for v in values if v.strip()]
    elif node.op == Op.BETWEEN:
        rule["value"] = ([*values, "", ""])[:2]
    else:
        rule["value"] = values[0] if values else ""
    return rule


def _tag_value(value: str) -> int | str:
    """The builder names tags by number; a number arrives as its digits."""
    return (
        int(value) if value.isascii() and value.isdigit() and len(value) < 19 else value
    )


# --- the form -> nodes ---------------------------------------------------------


def node_from_form(data: QueryDict, *, tags: Sequence[int] = ()) -> Node:
    """The builder's tree as the form holds it. A rule whose field changed gets
    that field's first operator and a fitting value; one whose operator changed
    between one value and a list keeps what still fits."""
    groups: dict[str, Node] = {}
    root = Node(kind="all")
    for path in data.getlist("node")[:MAX_FORM_NODES]:
        if not isinstance(path, str) or not _PATH.fullmatch(path):
            continue
        kind = data.get(f"{path}.kind", "")
        if path == "r":
            root.kind = kind if kind in _GROUP_KINDS else "all"
            groups["r"] = root
            continue
        parent = groups.get(path.rsplit(".", 1)[0])
        if parent is None:
            continue
        if kind in _GROUP_KINDS:
            group = Node(kind=kind)
            parent.children.append(group)
            groups[path] = group
        elif kind == "rule":
            parent.children.append(_rule_from_form(data, path, tags))
    return root


def _rule_from_form(data: QueryDict, path: str, tags: Sequence[int]) -> Node:
    key = data.get(f"{path}.field", "")
    spec = FIELDS.get(key)
    if spec is None:
        return default_rule(tags=tags)
    op = data.get(f"{path}.op", "")
    values = [v[:200] for v in data.getlist(f"{path}.value")[:120]]
    if data.get(f"{path}.was", key) != key or op not in spec.ops:
        op = spec.ops[0]
        return Node(
            kind="rule", field=key, op=op, values=_default_values(spec, op, tags)
        )
    was_op = data.get(f"{path}.opwas", op)
    if was_op != op:
        values = _refit(spec, op, values, tags)
    return Node(kind="rule", field=key, op=op, values=values)


def _refit(
    spec: RuleField, op: str, values: list[str], tags: Sequence[int]
) -> list[str]:
    kept = [v for v in values if v.strip()]
    if op in NO_VALUE_OPS:
        return []
    if op == Op.BETWEEN:
        return ([*kept, "", ""])[:2]
    if op in LIST_OPS:
        return kept or _default_values(spec, op, tags)
    return kept[:1] or _default_values(spec, op, tags)


# --- actions -------------------------------------------------------------------


def _at(root: Node, path: str) -> tuple[Node | None, Node | None]:
    """The node at ``path`` and its parent (paths as the form numbered them)."""
    if path == "r":
        return root, None
    parent, node = None, root
    for part in path.split(".")[1:]:
        index = int(part)
        if not node.is_group or index >= len(node.children):
            return None, None
        parent, node = node, node.children[index]
    return node, parent


def apply_action(root: Node, action: str, *, tags: Sequence[int] = ()) -> Node:
    """``add-rule:<path>``, ``add-group:<path>`` or ``remove:<path>``; anything
    else (or a path that is not there) changes nothing."""
    verb, _sep, path = action.partition(":")
    if not _PATH.fullmatch(path):
        return root
    node, parent = _at(root, path)
    if node is None:
        return root
    depth = path.count(".")
    if verb == "add-rule" and node.is_group:
        node.children.append(default_rule(tags=tags))
    elif verb == "add-group" and node.is_group and depth < MAX_VISUAL_DEPTH:
        node.children.append(Node(kind="any", children=[default_rule(tags=tags)]))
    elif verb == "remove" and parent is not None:
        del parent.children[int(path.rsplit(".", 1)[1])]
    return root
