"""The messaging API: a customer's consent ledger."""
