"""What can go wrong getting a token; every message is one sentence with no secret or token in it."""

from __future__ import annotations


class OAuth2Error(Exception):
    """No token now; ``str()`` says why in one sentence a person can act on."""


class TokenRefused(OAuth2Error):
    """The identity provider refused clerk's credentials (or clerk cannot make its request):
    asking again before someone fixes them will not help. ``code`` is the provider's error code."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class TokenUnavailable(OAuth2Error):
    """The identity provider could not be reached or failed (5xx): try again later."""
