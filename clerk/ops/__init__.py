"""Operating an installation: file modes for personal data, backups, and ``clerk doctor``'s checks."""
