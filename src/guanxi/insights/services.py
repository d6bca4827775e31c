"""Scoring runs: the one bridge between the database and ``guanxi.analytics``."""

from __future__ import annotations

from guanxi.insights.signals import run_finished

__all__ = ["run_finished"]
