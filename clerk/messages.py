"""Rendering what people read: every email and chat text is a Jinja2 template under templates/.

An email template ``templates/email/NAME.txt.j2`` (and optionally ``NAME.html.j2``) starts with a
``Subject:`` line; the rest is the body. Chat texts live in ``templates/chat/NAME.txt.j2``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from clerk.resources import templates_dir
from clerk.rules.messages.text_safety import clean_text

if TYPE_CHECKING:
    from jinja2 import Environment


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one Jinja2 environment (jinja2 is imported on the first render, not when a command that
    may never render starts)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # templates do not change under a running clerk; no stat per render
    )
    env.filters["one_line"] = clean_text  # anything echoed from outside: one line, inert
    return env


def render_email(name: str, **context: Any) -> Rendered:
    """Render ``email/NAME.txt.j2`` (subject and text) and ``email/NAME.html.j2`` if present."""
    from jinja2 import TemplateNotFound

    env = environment()
    text = env.get_template(f"email/{name}.txt.j2").render(**context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"template email/{name}.txt.j2 must start with a 'Subject:' line")
    try:
        html: str | None = env.get_template(f"email/{name}.html.j2").render(**context)
    except TemplateNotFound:
        html = None
    return Rendered(first.removeprefix("Subject:").strip(), body.lstrip("\n"), html)


def render_chat(name: str, **context: Any) -> str:
    """Render ``chat/NAME.txt.j2``."""
    return environment().get_template(f"chat/{name}.txt.j2").render(**context).strip()
