"""Services: one function per operation, each one transaction, idempotent, and audited."""
