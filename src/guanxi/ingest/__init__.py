"""Ingest: imports of customers, orders and interactions from CSV and XLSX exports."""
