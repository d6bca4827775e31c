"""Who may see and do what: roles, scope and the way each role sees personal data."""
