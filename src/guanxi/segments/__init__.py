"""Segments: saved rule-based filters over customers, counted at every scoring run."""
