"""Shared pieces with no domain: errors, encryption, blind indexes, masking, parsing."""
