"""The errors a service raises to say no; each carries a sentence for the person who asked."""

from pathlib import Path


class ClerkError(Exception):
    """Something a person asked for cannot be done; the message says what and what to do.
    ``about`` names, as a code, the part of the request it is about (``starts_at``,
    ``online_url``, ``kind``, ``request``...; empty when it is about the whole), so that a form
    can put the message beside the right field without reading its words."""

    exit_code = 2

    def __init__(self, message: str = "", *, about: str = "") -> None:
        super().__init__(message)
        self.about = about


class NotFound(ClerkError):
    """The meeting, body, person or ballot named does not exist."""


class Refused(ClerkError):
    """The request is understood but the rules do not allow it."""


class BadInput(ClerkError):
    """The input (a file, an argument) is malformed."""


class ConfigError(Exception):
    """The configuration cannot be used; ``problems`` holds one sentence per problem.

    It lives here, not in ``clerk.config``, so that the command line can catch it without loading
    the configuration's models (pydantic) before a command needs them."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = Path(path)
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))
