"""REST API v1 for orders."""
