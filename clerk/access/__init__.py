"""Signing in to the facilitator's console: who may (:mod:`.served`), one-time links by email
or printed for someone with shell access, and the sessions they start (:mod:`.sign_in`).

Its public operations and types are gathered here for the adapters (the console, the CLI);
modules inside clerk import the module that defines a name.
"""

from clerk.access.served import served_by
from clerk.access.sign_in import (
    LinkRequest,
    SignIn,
    Viewer,
    link_for,
    print_link,
    request_link,
    sign_in,
    sign_out,
    viewer_for,
)

__all__ = [
    "LinkRequest",
    "SignIn",
    "Viewer",
    "link_for",
    "print_link",
    "request_link",
    "served_by",
    "sign_in",
    "sign_out",
    "viewer_for",
]
