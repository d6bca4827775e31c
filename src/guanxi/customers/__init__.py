"""Customers: one record per person, with their source identities and tags."""
