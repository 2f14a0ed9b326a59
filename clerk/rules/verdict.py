"""The answer every rule gives: whether it holds, a reason code a program can branch on, and a
sentence a person can read saying why."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Verdict:
    """A rule's answer: ``ok``, the human ``reason``, and ``code``, the reason as a code that
    callers branch on and templates are chosen by (never the words of ``reason``; each rule
    module declares its codes as a ``Literal``); ``parts`` holds the sub-verdicts."""

    ok: bool
    reason: str
    parts: tuple[Verdict, ...] = field(default=())
    code: str = ""

    def __bool__(self) -> bool:
        return self.ok

    def explain(self, indent: str = "") -> str:
        """The reason and, indented below it, the reasons of every part."""
        mark = "yes" if self.ok else "no"
        lines = [f"{indent}[{mark}] {self.reason}"]
        lines.extend(part.explain(indent + "  ") for part in self.parts)
        return "\n".join(lines)


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 carer``, ``2 carers``: the number and the noun that agrees with it."""
    return f"{n} {word if n == 1 else (many or word + 's')}"
