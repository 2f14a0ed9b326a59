"""clerk: a meeting secretariat for partnership boards, run by email and chat."""

__version__ = "0.1.0"
