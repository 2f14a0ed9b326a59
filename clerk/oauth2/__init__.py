"""OAuth2 access tokens for logging in to council mailboxes (Microsoft 365, Google Workspace, or any
client-credentials provider) with SASL XOAUTH2.

:func:`token_source` gives the one :class:`TokenSource` for a ``[mail.oauth2]`` section and mailbox;
it asks the identity provider once per token lifetime, keeps the token in memory only, and answers
an identity provider's refusal with :class:`TokenRefused` (one sentence naming the provider's
error code and what to check).
"""

from clerk.oauth2.errors import OAuth2Error, TokenRefused, TokenUnavailable
from clerk.oauth2.tokens import Token, TokenSource, token_source

__all__ = ["OAuth2Error", "Token", "TokenRefused", "TokenSource", "TokenUnavailable", "token_source"]
