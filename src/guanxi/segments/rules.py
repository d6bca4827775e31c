"""A segment's rules: a small JSON tree, checked and normalised before it is kept.

The tree::

    {"all": [                                   # every rule below holds
        {"field": "quadrant", "op": "eq", "value": "star"},
        {"field": "city", "op": "eq", "value": "上海"},
        {"not": {"field": "tag", "op": "has", "value": "complained"}}
    ]}

A group is ``{"all": [...]}``, ``{"any": [...]}`` or ``{"not": node}``; a rule
(condition) is ``{"field", "op", "value"}`` with a field and an operator of
:mod:`guanxi.segments.fields`. ``{"all": []}`` is every customer. A tag is
named by its number or its exact name and kept as its number (a renamed tag
keeps its segments).

:func:`rules_check` refuses a tree that cannot run with a message naming the
rule ("Rule 2 (quadrant): 'gold' is not one of star, cash_cow, potential,
basic") — rules are numbered 1, 2, … in reading order, groups likewise, the
outermost group being group 1 — and returns the tree normalised: numbers as
numbers, text cleaned, lists without repeats, a lone rule wrapped in ``all``.
The tree is bounded (:data:`MAX_DEPTH`, :data:`MAX_RULES`, :data:`MAX_LIST`,
:data:`MAX_CHARS`), so a hostile one costs nothing to refuse.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from typing import Any, Protocol

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from guanxi.core.errors import ValidationFailed
from guanxi.core.values import check_filter_date, clean_line, fold_digits, parse_id
from guanxi.segments.fields import (
    FIELDS,
    LIST_OPS,
    NO_VALUE_OPS,
    Kind,
    Op,
    RuleField,
    Source,
)

__all__ = [
    "EVERYONE",
    "GROUP_KEYS",
    "MAX_CHARS",
    "MAX_DEPTH",
    "MAX_LIST",
    "MAX_RULES",
    "RuleLookups",
    "conditions",
    "rules_check",
    "uses_scores",
]

#: Groups nest at most this deep (the outermost group is level 1; ``not`` counts).
MAX_DEPTH = 6
#: Rules (conditions) in one tree.
MAX_RULES = 50
#: Values of one ``in`` / ``not_in`` rule.
MAX_LIST = 100
#: The tree written as JSON.
MAX_CHARS = 20_000
GROUP_KEYS = ("all", "any", "not")
#: The tree every customer matches.
EVERYONE: dict[str, Any] = {"all": []}

_CONDITION_KEYS = frozenset({"field", "op", "value"})


class RuleLookups(Protocol):
    """What the checks ask the database: do a tag and a user exist."""

    def tag_id(self, value: int | str) -> int | None:
        """The number of the tag with this number or exact name, or None."""

    def user_exists(self, user_id: int) -> bool: ...


class _Counter:
    def __init__(self) -> None:
        self.rules = 0
        self.groups = 0


def _shown(value: Any) -> str:
    """A value from the input, quoted, escaped and cut short for a message."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = json.dumps(text, ensure_ascii=False)[1:-1]
    if len(text) > 40:
        text = text[:40] + "…"
    return f"'{text}'"


def _rule_error(n: int, key: str | None, problem: str) -> ValidationFailed:
    if key is None:
        message = _("Rule %(n)d: %(problem)s") % {"n": n, "problem": problem}
    else:
        message = _("Rule %(n)d (%(field)s): %(problem)s") % {
            "n": n,
            "field": key,
            "problem": problem,
        }
    return ValidationFailed(message, field="rules")


def _group_error(n: int, problem: str) -> ValidationFailed:
    return ValidationFailed(
        _("Group %(n)d: %(problem)s") % {"n": n, "problem": problem}, field="rules"
    )


def rules_check(tree: Any, *, lookups: RuleLookups | None) -> dict[str, Any]:
    """``tree`` checked and normalised, or :class:`ValidationFailed` naming the
    rule. Without ``lookups`` (a stored tree about to run) tags and users are
    not looked up: a deleted tag or user then simply matches nobody."""
    if not isinstance(tree, dict):
        raise ValidationFailed(
            _('the rules must be a JSON object such as {"all": [...]}'), field="rules"
        )
    try:
        size = len(json.dumps(tree, ensure_ascii=False))
    except (TypeError, ValueError, RecursionError):
        raise ValidationFailed(
            _("the rules must be plain JSON (objects, lists, text, numbers)"),
            field="rules",
        ) from None
    if size > MAX_CHARS:
        raise ValidationFailed(
            _("the rules are too long (at most %(n)s characters of JSON)")
            % {"n": f"{MAX_CHARS:,}"},
            field="rules",
        )
    counter = _Counter()
    if not any(key in tree for key in GROUP_KEYS):
        # A lone rule: the group of that one rule.
        return {"all": [_condition(tree, counter, lookups)]}
    return _group(tree, counter, lookups, depth=1)


def _group(
    node: dict[str, Any], counter: _Counter, lookups: RuleLookups | None, *, depth: int
) -> dict[str, Any]:
    counter.groups += 1
    n = counter.groups
    if depth > MAX_DEPTH:
        raise _group_error(
            n, _("groups nest at most %(max)d deep") % {"max": MAX_DEPTH}
        )
    if len(node) != 1:
        raise _group_error(n, _("a group has exactly one key: all, any or not"))
    ((key, children),) = node.items()
    if key == "not":
        if not isinstance(children, dict):
            raise _group_error(n, _("'not' takes one rule or group"))
        return {"not": _node(children, counter, lookups, depth=depth + 1)}
    if not isinstance(children, list):
        raise _group_error(
            n, _("'%(key)s' takes a list of rules and groups") % {"key": key}
        )
    if not children and not (n == 1 and key == "all"):
        raise _group_error(n, _("the group is empty: add a rule or remove the group"))
    return {key: [_node(c, counter, lookups, depth=depth + 1) for c in children]}


def _node(
    node: Any, counter: _Counter, lookups: RuleLookups | None, *, depth: int
) -> dict[str, Any]:
    if isinstance(node, dict) and any(key in node for key in GROUP_KEYS):
        return _group(node, counter, lookups, depth=depth)
    return _condition(node, counter, lookups)


def _condition(
    node: Any, counter: _Counter, lookups: RuleLookups | None
) -> dict[str, Any]:
    counter.rules += 1
    n = counter.rules
    if n > MAX_RULES:
        raise ValidationFailed(
            _("too many rules (at most %(max)d)") % {"max": MAX_RULES}, field="rules"
        )
    if not isinstance(node, dict):
        raise _rule_error(
            n,
            None,
            _("expected a rule {field, op, value} or a group {all | any | not}"),
        )
    key = node.get("field")
    if key is None or key == "":
        raise _rule_error(n, None, _("a rule needs a field"))
    spec = FIELDS.get(key) if isinstance(key, str) else None
    if spec is None:
        raise _rule_error(
            n, None, _("unknown field %(field)s") % {"field": _shown(key)}
        )
    extra = sorted(str(k) for k in node if k not in _CONDITION_KEYS)
    if extra:
        raise _rule_error(
            n,
            spec.key,
            _("unexpected key %(key)s (a rule has field, op and value)")
            % {"key": _shown(extra[0])},
        )
    ops = ", ".join(spec.ops)
    raw_op = node.get("op")
    if raw_op is None or raw_op == "":
        raise _rule_error(n, spec.key, _("choose an operator: %(ops)s") % {"ops": ops})
    if not isinstance(raw_op, str) or raw_op not in spec.ops:
        raise _rule_error(
            n,
            spec.key,
            _("the operator %(op)s does not fit this field (use %(ops)s)")
            % {"op": _shown(raw_op), "ops": ops},
        )
    op = Op(raw_op)
    value = node.get("value")
    if op in NO_VALUE_OPS:
        if value not in (None, "", []):
            raise _rule_error(
                n, spec.key, _("'%(op)s' takes no value") % {"op": op.value}
            )
        return {"field": spec.key, "op": op.value}
    if "value" not in node or value is None:
        raise _rule_error(n, spec.key, _("the rule needs a value"))
    try:
        clean = _value(spec, op, value, lookups)
    except ValidationFailed as exc:
        raise _rule_error(n, spec.key, exc.message) from None
    return {"field": spec.key, "op": op.value, "value": clean}


def _value(spec: RuleField, op: Op, value: Any, lookups: RuleLookups | None) -> Any:
    if op in LIST_OPS:
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_LIST:
            raise ValidationFailed(
                _("give a list of 1 to %(max)d values") % {"max": MAX_LIST}
            )
        items = [_one(spec, op, v, lookups) for v in value]
        return list(dict.fromkeys(items))
    if op == Op.BETWEEN:
        if not isinstance(value, list) or len(value) != 2:
            raise ValidationFailed(_("give two values, the smaller first"))
        low, high = (_one(spec, op, v, lookups) for v in value)
        if low > high:
            raise ValidationFailed(_("give two values, the smaller first"))
        return [low, high]
    if isinstance(value, list | dict):
        raise ValidationFailed(_("give one value, not a list"))
    if op == Op.IN_LAST_DAYS:
        return _whole(value, 1, 36_500)
    return _one(spec, op, value, lookups)


def _one(spec: RuleField, op: Op, value: Any, lookups: RuleLookups | None) -> Any:
    """One value of ``spec``'s kind, cleaned, or :class:`ValidationFailed`."""
    if isinstance(value, list | dict):
        raise ValidationFailed(_("a value must be text or a number, not a list"))
    kind = spec.kind
    if kind == Kind.TEXT:
        if not isinstance(value, str):
            raise ValidationFailed(_("the value must be text"))
        text = clean_line(value, field=spec.key)
        if not text:
            raise ValidationFailed(
                _("the value is empty (to find blank fields use 'empty')")
            )
        return text
    if kind == Kind.CHOICE:
        allowed = spec.choice_values
        if not isinstance(value, str) or value not in allowed:
            raise ValidationFailed(
                _("%(value)s is not one of %(choices)s")
                % {
                    "value": _shown(value),
                    "choices": pgettext("between values in a list", ", ").join(allowed),
                }
            )
        return value
    if kind == Kind.INT:
        bounds = spec.bounds()
        assert bounds is not None
        return _whole(value, int(bounds[0]), int(bounds[1]))
    if kind == Kind.FLOAT:
        bounds = spec.bounds()
        assert bounds is not None
        return _number(value, bounds[0], bounds[1])
    if kind == Kind.DATE:
        return _date(value)
    if kind == Kind.TAG:
        return _tag(value, lookups)
    return _user(value, lookups)


def _number_text(number: float) -> str:
    """1900, 36,500, 10,000,000,000, 0.5: grouped from five digits on."""
    if float(number).is_integer():
        whole = int(number)
        return f"{whole:,}" if abs(whole) >= 10_000 else str(whole)
    return f"{number:g}"


def _range_error(low: float, high: float) -> ValidationFailed:
    return ValidationFailed(
        _("the value must be from %(min)s to %(max)s")
        % {"min": _number_text(low), "max": _number_text(high)}
    )


def _whole(value: Any, low: int, high: int) -> int:
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        text = fold_digits(value) if len(value) <= 32 else ""
        body = text[1:] if text[:1] in "+-" else text
        if body.isascii() and body.isdigit() and len(body) <= 18:
            number = int(text)
    if number is None:
        raise ValidationFailed(_("the value must be a whole number"))
    if not low <= number <= high:
        raise _range_error(low, high)
    return number


def _number(value: Any, low: float, high: float) -> float | int:
    number: float | int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | float):
        number = value
    elif isinstance(value, str) and len(value) <= 32:
        text = fold_digits(value)
        if text and text.isascii() and all(ch in "+-.0123456789eE" for ch in text):
            try:
                number = float(text)
            except ValueError:
                number = None
            if number is not None and number.is_integer() and "." not in text:
                number = int(number)
    if number is None or (isinstance(number, float) and not math.isfinite(number)):
        raise ValidationFailed(_("the value must be a number"))
    if not low <= number <= high:
        raise _range_error(low, high)
    return number


def _date(value: Any) -> str:
    day = None
    if isinstance(value, str) and len(value) == 10:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            day = None
    if day is None:
        raise ValidationFailed(_("the value must be a date (YYYY-MM-DD)"))
    return check_filter_date(day).isoformat()


def _tag(value: Any, lookups: RuleLookups | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationFailed(_("name a tag by its number or its name"))
    if lookups is None:
        number = parse_id(value) if isinstance(value, int) else None
        if number is None:
            raise ValidationFailed(_("name a tag by its number or its name"))
        return number
    found = lookups.tag_id(value)
    if found is None:
        raise ValidationFailed(_("there is no tag %(tag)s") % {"tag": _shown(value)})
    return found


def _user(value: Any, lookups: RuleLookups | None) -> int:
    number = parse_id(value) if not isinstance(value, str) or len(value) < 24 else None
    if number is None:
        raise ValidationFailed(_("name a user by their number"))
    if lookups is not None and not lookups.user_exists(number):
        raise ValidationFailed(_("there is no user %(id)d") % {"id": number})
    return number


def conditions(tree: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every rule (condition) of a normalised tree, in reading order."""
    for key in GROUP_KEYS:
        if key in tree:
            children = tree[key]
            for child in children if isinstance(children, list) else [children]:
                yield from conditions(child)
            return
    yield tree


def uses_scores(tree: dict[str, Any]) -> bool:
    """Whether a normalised tree tests a score (then only scored customers match)."""
    return any(FIELDS[c["field"]].source == Source.SCORE for c in conditions(tree))
