"""The errors a service raises to say no; each carries a sentence for the person who asked."""


class ClerkError(Exception):
    """Something a person asked for cannot be done; the message says what and what to do."""

    exit_code = 2


class NotFound(ClerkError):
    """The meeting, body, person or ballot named does not exist."""


class Refused(ClerkError):
    """The request is understood but the rules do not allow it."""


class BadInput(ClerkError):
    """The input (a file, an argument) is malformed."""
