"""Demo data: realistic customers, orders and interactions for a first run."""
