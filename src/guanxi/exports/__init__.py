"""Exports of customers and orders (CSV, XLSX, JSON), scoped by the actor's role."""
