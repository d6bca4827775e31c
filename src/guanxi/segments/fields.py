"""What a segment rule may test: each field, the operators that fit it, its values.

Three sources: the customer's **profile** (columns of the customer), their
**tags** (has / has not), and their **scores** — the snapshot of the latest
finished scoring run (or of the run being counted). A rule names a field by its
key (``quadrant``, ``city``); the key, the operators and the value ranges here
are the whole vocabulary, shared by the checks (:mod:`~guanxi.segments.rules`),
the query (:mod:`~guanxi.segments.query`), the web builder and the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from guanxi.analytics.rfm_segments import SEGMENT_LABELS_EN, SEGMENT_LABELS_ZH
from guanxi.customers.choices import Channel, Gender
from guanxi.insights.choices import Emotion, Quadrant, Stage

__all__ = [
    "FIELDS",
    "LIST_OPS",
    "MONEY_MAX",
    "NO_VALUE_OPS",
    "OP_LABELS",
    "Kind",
    "Op",
    "RuleField",
    "Source",
    "field_groups",
]


class Kind(StrEnum):
    """The type of a field's values."""

    TEXT = "text"
    CHOICE = "choice"
    INT = "int"
    FLOAT = "float"
    DATE = "date"
    TAG = "tag"
    USER = "user"


class Source(StrEnum):
    PROFILE = "profile"
    TAG = "tag"
    SCORE = "score"


class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "not_in"
    LT = "lt"
    LTE = "lte"
    GT = "gt"
    GTE = "gte"
    BETWEEN = "between"
    IN_LAST_DAYS = "in_last_days"
    HAS = "has"
    HAS_NOT = "has_not"
    EMPTY = "empty"
    NOT_EMPTY = "not_empty"


#: Operators that take a list of values, and those that take none.
LIST_OPS = frozenset({Op.IN, Op.NOT_IN})
NO_VALUE_OPS = frozenset({Op.EMPTY, Op.NOT_EMPTY})

_EQUALITY = (Op.EQ, Op.NE, Op.IN, Op.NOT_IN)
_ORDER = (Op.EQ, Op.NE, Op.LT, Op.LTE, Op.GT, Op.GTE, Op.BETWEEN)
_EMPTY = (Op.EMPTY, Op.NOT_EMPTY)
_OPS: dict[Kind, tuple[Op, ...]] = {
    Kind.TEXT: _EQUALITY,
    Kind.CHOICE: _EQUALITY,
    Kind.INT: _ORDER,
    Kind.FLOAT: (Op.LT, Op.LTE, Op.GT, Op.GTE, Op.BETWEEN),
    Kind.DATE: (Op.LT, Op.LTE, Op.GT, Op.GTE, Op.BETWEEN, Op.IN_LAST_DAYS),
    Kind.TAG: (Op.HAS, Op.HAS_NOT),
    Kind.USER: _EQUALITY,
}

#: How the builder reads each operator (dates read "before"/"after").
OP_LABELS: dict[Op, Promise] = {
    Op.EQ: _("is"),
    Op.NE: _("is not"),
    Op.IN: _("is one of"),
    Op.NOT_IN: _("is none of"),
    Op.LT: _("less than"),
    Op.LTE: _("at most"),
    Op.GT: _("more than"),
    Op.GTE: _("at least"),
    Op.BETWEEN: _("from … to"),
    Op.IN_LAST_DAYS: _("in the last … days"),
    Op.HAS: _("has"),
    Op.HAS_NOT: _("does not have"),
    Op.EMPTY: _("is empty"),
    Op.NOT_EMPTY: _("is not empty"),
}
_DATE_OP_LABELS: dict[Op, Promise] = {
    Op.LT: _("before"),
    Op.LTE: _("on or before"),
    Op.GT: _("after"),
    Op.GTE: _("on or after"),
}

#: The largest amount a rule may name (the amount columns hold 9,999,999,999.99).
MONEY_MAX = 10_000_000_000
_COUNT_MAX = 1_000_000_000
_DAYS_MAX = 36_500


def _rfm_segments() -> list[tuple[str, str]]:
    labels = SEGMENT_LABELS_ZH if (get_language() or "").startswith("zh") else None
    return [(key, (labels or SEGMENT_LABELS_EN)[key]) for key in SEGMENT_LABELS_EN]


def _choices(enum: Any) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [(value, str(label)) for value, label in enum.choices if value]


@dataclass(frozen=True)
class RuleField:
    """One field a rule may test."""

    key: str
    label: Promise
    kind: Kind
    source: Source
    #: The column: on the customer (profile) or on the snapshot (scores).
    column: str = ""
    #: Whether "is empty" / "is not empty" apply (a blank or missing value).
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: Callable[[], list[tuple[str, str]]] | None = field(
        default=None, compare=False
    )
    #: The upper bound is this year (birth years).
    up_to_this_year: bool = False

    @property
    def ops(self) -> tuple[Op, ...]:
        return _OPS[self.kind] + (_EMPTY if self.nullable else ())

    def op_label(self, op: Op) -> str:
        if self.kind == Kind.DATE and op in _DATE_OP_LABELS:
            return str(_DATE_OP_LABELS[op])
        return str(OP_LABELS[op])

    @property
    def choice_values(self) -> list[str]:
        return [value for value, _label in self.choices()] if self.choices else []

    def bounds(self) -> tuple[float, float] | None:
        """The smallest and largest value a rule may name, if bounded."""
        if self.minimum is None or self.maximum is None:
            return None
        if self.up_to_this_year:
            return (self.minimum, dt.date.today().year)
        return (self.minimum, self.maximum)


_FIELD_LIST = [
    # Profile.
    RuleField("city", _("City"), Kind.TEXT, Source.PROFILE, "city", nullable=True),
    RuleField(
        "gender",
        _("Gender"),
        Kind.CHOICE,
        Source.PROFILE,
        "gender",
        nullable=True,
        choices=_choices(Gender),
    ),
    RuleField(
        "birth_year",
        _("Birth year"),
        Kind.INT,
        Source.PROFILE,
        "birth_year",
        nullable=True,
        minimum=1900,
        maximum=2999,
        up_to_this_year=True,
    ),
    RuleField(
        "preferred_channel",
        _("Preferred channel"),
        Kind.CHOICE,
        Source.PROFILE,
        "preferred_channel",
        nullable=True,
        choices=_choices(Channel),
    ),
    RuleField(
        "assigned_manager",
        _("Account manager"),
        Kind.USER,
        Source.PROFILE,
        "assigned_manager_id",
        nullable=True,
    ),
    RuleField(
        "first_seen",
        _("First seen"),
        Kind.DATE,
        Source.PROFILE,
        "first_seen_at",
        nullable=True,
    ),
    # Tags.
    RuleField("tag", _("Tag"), Kind.TAG, Source.TAG),
    # Scores of the latest run.
    RuleField(
        "quadrant",
        _("Value quadrant"),
        Kind.CHOICE,
        Source.SCORE,
        "quadrant",
        choices=_choices(Quadrant),
    ),
    RuleField(
        "stage",
        _("Lifecycle stage"),
        Kind.CHOICE,
        Source.SCORE,
        "stage",
        choices=_choices(Stage),
    ),
    RuleField(
        "emotion",
        _("Emotion layer"),
        Kind.CHOICE,
        Source.SCORE,
        "emotion",
        choices=_choices(Emotion),
    ),
    RuleField(
        "rfm_segment",
        _("RFM segment"),
        Kind.CHOICE,
        Source.SCORE,
        "rfm_segment",
        nullable=True,
        choices=_rfm_segments,
    ),
    *(
        RuleField(
            f"{letter}_score",
            label,
            Kind.INT,
            Source.SCORE,
            f"{letter}_score",
            nullable=True,
            minimum=1,
            maximum=5,
        )
        for letter, label in (
            ("r", _("R score (recency)")),
            ("f", _("F score (frequency)")),
            ("m", _("M score (monetary)")),
        )
    ),
    RuleField(
        "current_value",
        _("Current value"),
        Kind.FLOAT,
        Source.SCORE,
        "current_value",
        minimum=0,
        maximum=MONEY_MAX,
    ),
    RuleField(
        "potential_value",
        _("Potential value"),
        Kind.FLOAT,
        Source.SCORE,
        "potential_value",
        minimum=0,
        maximum=MONEY_MAX,
    ),
    RuleField(
        "value_score",
        _("Value score (0–100)"),
        Kind.FLOAT,
        Source.SCORE,
        "value_score",
        minimum=0,
        maximum=100,
    ),
    RuleField(
        "churn_risk",
        _("Churn risk"),
        Kind.FLOAT,
        Source.SCORE,
        "churn_risk",
        nullable=True,
        minimum=0,
        maximum=1,
    ),
    RuleField(
        "p_alive",
        _("P(alive)"),
        Kind.FLOAT,
        Source.SCORE,
        "p_alive",
        nullable=True,
        minimum=0,
        maximum=1,
    ),
    RuleField(
        "expected_purchases_90d",
        _("Expected purchases in 90 days"),
        Kind.FLOAT,
        Source.SCORE,
        "expected_purchases_90d",
        nullable=True,
        minimum=0,
        maximum=_COUNT_MAX,
    ),
    RuleField(
        "days_since_last_purchase",
        _("Days since last purchase"),
        Kind.INT,
        Source.SCORE,
        "days_since_last_purchase",
        nullable=True,
        minimum=0,
        maximum=_DAYS_MAX,
    ),
    RuleField(
        "orders",
        _("Orders"),
        Kind.INT,
        Source.SCORE,
        "orders",
        minimum=0,
        maximum=_COUNT_MAX,
    ),
    RuleField(
        "total_spend",
        _("Total spend"),
        Kind.FLOAT,
        Source.SCORE,
        "total_spend",
        minimum=0,
        maximum=MONEY_MAX,
    ),
    RuleField(
        "orders_30d",
        _("Purchase days in the last 30 days"),
        Kind.INT,
        Source.SCORE,
        "orders_30d",
        minimum=0,
        maximum=_COUNT_MAX,
    ),
    RuleField(
        "spend_30d",
        _("Spend in the last 30 days"),
        Kind.FLOAT,
        Source.SCORE,
        "spend_30d",
        minimum=0,
        maximum=MONEY_MAX,
    ),
]

#: Every field by key, in the order the builder offers them.
FIELDS: dict[str, RuleField] = {f.key: f for f in _FIELD_LIST}

_SOURCE_LABELS: dict[Source, Promise] = {
    Source.PROFILE: _("Profile"),
    Source.TAG: _("Tags"),
    Source.SCORE: _("Scores (latest run)"),
}


def field_groups() -> list[tuple[str, list[RuleField]]]:
    """The fields by source, for the builder's grouped field menu."""
    return [
        (str(label), [f for f in _FIELD_LIST if f.source == source])
        for source, label in _SOURCE_LABELS.items()
    ]
