"""Coupons for the playbooks, and co-purchase recommendations."""
