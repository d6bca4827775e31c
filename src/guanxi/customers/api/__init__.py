"""REST API v1 for customers and interactions."""
