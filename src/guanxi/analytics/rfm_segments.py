"""The RFM segments' names and the grid that assigns them (no NumPy, no
pandas: the web's filters, tags and cards name segments without loading the
scorer of :mod:`guanxi.analytics.rfm`)."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["SEGMENT_LABELS_EN", "SEGMENT_LABELS_ZH", "SEGMENT_MAP"]

SEGMENT_LABELS_EN: dict[str, str] = {
    "champions": "Champions",
    "loyal": "Loyal",
    "potential_loyalists": "Potential loyalists",
    "new": "New",
    "at_risk": "At risk",
    "cant_lose": "Can't lose",
    "hibernating": "Hibernating",
    "lost": "Lost",
}

SEGMENT_LABELS_ZH: dict[str, str] = {
    "champions": "冠军客户",
    "loyal": "忠诚客户",
    "potential_loyalists": "潜力客户",
    "new": "新客户",
    "at_risk": "流失风险",
    "cant_lose": "不能失去",
    "hibernating": "沉睡客户",
    "lost": "已流失",
}


def _grid() -> dict[tuple[int, int], str]:
    rows = {
        5: [
            "new",
            "potential_loyalists",
            "potential_loyalists",
            "champions",
            "champions",
        ],
        4: ["new", "potential_loyalists", "potential_loyalists", "loyal", "loyal"],
        3: ["hibernating", "hibernating", "potential_loyalists", "loyal", "loyal"],
        2: ["hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"],
        1: ["lost", "lost", "at_risk", "at_risk", "cant_lose"],
    }
    return {
        (r, fm): name for r, names in rows.items() for fm, name in enumerate(names, 1)
    }


#: (R score, FM score) → segment key.
SEGMENT_MAP: Mapping[tuple[int, int], str] = _grid()
