"""The layering of clerk, read from the source (the AST of every module of clerk, mail, bot and
scheduler, imports inside functions included):

(a) the rules (``clerk.rules.*``) import nothing of clerk's but other rules: pure, testable alone;
(b) nothing in ``clerk`` imports the adapters (``mail``, ``bot``, ``scheduler``) except the
    composition root (``clerk.composition.*``) and the command line (``clerk.cli.*``);
(c) in ``clerk``, only ``clerk.outbox.compose`` (writing mail) and ``clerk.ops.*`` (checking a
    mail server) import the standard library's ``email`` package;
(d) no import cycle among the modules (function-level imports count, and so do the package
    ``__init__`` modules an import runs; ``if TYPE_CHECKING:`` imports do not);
(e) no import of a clerk, mail, bot or scheduler module inside a function, except those listed in
    :data:`LAZY` with the reason (a function-level import hides a cycle or a layering breach);
(f) the capability packages of clerk form layers (:data:`LAYERS`): each imports only packages of
    the layers below it, so each package's ``__init__`` can gather its public operations.

``import a.b.c`` depends on ``a.b.c``; ``from a.b import c`` on ``a.b.c`` if that is a module,
else on ``a.b``. Imports under ``if TYPE_CHECKING:`` count for (a) to (c): a type is knowledge too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("clerk", "mail", "bot", "scheduler", "web")
ADAPTERS = ("mail", "bot", "scheduler", "web")

#: Function-level imports that are there on purpose: (importing module, imported module prefix)
#: and why. A prefix ending in "." covers every module under it.
LAZY: dict[tuple[str, str], str] = {
    # The command line builds a root app from only the command modules a command needs, and
    # `clerk --help` loads them all: each command imports its service when it runs, so a read
    # command starts fast and `meetings list --json` does not load the templates (bench_startup,
    # test_cli_usage).
    **{(f"clerk.cli.{name}", prefix): "a command loads its services when it runs"
       for name in ("audit_cmds", "bookings_cmds", "inbound_cmds", "meetings_cmds",
                    "members_cmds", "ops_cmds", "outbound_cmds", "papers_cmds", "ratify_cmds",
                    "run_cmds", "setup_cmds", "mail_cmds", "console_cmds", "plan_cmds",
                    "actions_cmds", "extraordinary_cmds", "report_cmds", "elections_cmds",
                    "people_cmds")
       for prefix in ("clerk.",)},
    # `clerk --version` and a usage error load neither the configuration's models nor the store
    # (test_cli_usage): the shared helpers open clerk when a command asks.
    ("clerk.cli.registry", "clerk"): "--version loads only the version",
    ("clerk.cli.common", "clerk."): "the configuration and the store load when a command runs",
    # The composition root: `clerk run` loads python-telegram-bot only when a Telegram token is
    # configured; each one-shot mail command (and `clerk schedule`) loads only its adapter.
    ("clerk.composition.run", "bot."): "the bot is loaded only when a token is configured",
    ("clerk.composition.run", "web."): "the console is loaded only when [web] listen is set",
    ("clerk.composition.commands", "mail."): "a mail command loads only its part of the adapter",
    ("clerk.composition.commands", "scheduler."): "`clerk schedule` loads only the planner",
    # The SMTP and IMAP clients load the OAuth2 client only when auth = "oauth2" (issue 13: less
    # memory for a password or Maildir set-up).
    ("mail.transport", "clerk.oauth2"): "OAuth2 is loaded only when configured",
}


#: The capability packages of clerk, lowest first. Below them all (and free to be imported by any):
#: the top-level modules, clerk.rules, clerk.store, clerk.ops and clerk.oauth2; above them all:
#: clerk.cli.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("tokens", "people", "meetings", "reading"),  # who, when, and what a text says
    ("outbox",),  # what clerk sends (it marks people's addresses undeliverable)
    ("actions",),  # action points: their owners are emailed; the agenda and minutes read them
    ("observers", "agenda", "access"),  # bookings; the agenda, papers, minutes; console sign-in
    ("attendance", "ballots", "elections"),  # invitations, the register, decisions; votes
    ("mail_in", "chat", "deadlines", "records"),  # each channel, the deadlines, what people read
    ("composition",),  # the root: wires the adapters to all of the above
)


@dataclass(frozen=True)
class Import:
    importer: str
    target: str
    line: int
    in_function: bool
    type_checking: bool

    def __str__(self) -> str:
        where = " (inside a function)" if self.in_function else ""
        return f"{self.importer} imports {self.target} at line {self.line}{where}"


@cache
def modules() -> dict[str, Path]:
    """Every module of the four packages, by dotted name."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def is_package(name: str) -> bool:
    return modules()[name].name == "__init__.py"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(node: ast.AST, in_function: bool, type_checking: bool
          ) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool, bool]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, in_function, type_checking
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _walk(child, True, type_checking)
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield from _walk(ast.Module(body=[stmt], type_ignores=[]), in_function, True)
            for stmt in child.orelse:
                yield from _walk(ast.Module(body=[stmt], type_ignores=[]), in_function,
                                 type_checking)
        else:
            yield from _walk(child, in_function, type_checking)


def _base(name: str, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    package = name if is_package(name) else name.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


@cache
def imports_of(name: str) -> tuple[Import, ...]:
    tree = ast.parse(modules()[name].read_text(encoding="utf-8"))
    out: list[Import] = []
    for node, in_function, type_checking in _walk(tree, False, False):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = _base(name, node)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules() else base
                       for alias in node.names]
        out.extend(Import(name, target, node.lineno, in_function, type_checking)
                   for target in dict.fromkeys(targets))
    return tuple(out)


def all_imports() -> Iterator[Import]:
    for name in modules():
        yield from imports_of(name)


def _top(target: str) -> str:
    return target.partition(".")[0]


def _under(name: str, package: str) -> bool:
    return name == package or name.startswith(f"{package}.")


def test_the_rules_import_nothing_of_clerk_but_rules() -> None:
    wrong = [str(i) for i in all_imports()
             if _under(i.importer, "clerk.rules") and _top(i.target) in PACKAGES
             and not _under(i.target, "clerk.rules")]
    assert not wrong, "rules must import only rules:\n" + "\n".join(wrong)


def test_only_the_composition_root_and_the_cli_import_the_adapters() -> None:
    wrong = [str(i) for i in all_imports()
             if _top(i.importer) == "clerk" and _top(i.target) in ADAPTERS
             and not _under(i.importer, "clerk.composition") and not _under(i.importer, "clerk.cli")]
    assert not wrong, "only clerk.composition and clerk.cli may import mail, bot or scheduler:\n" \
        + "\n".join(wrong)


def test_the_console_imports_clerk_and_no_other_adapter() -> None:
    """web/ turns a request into a call of clerk's operations; what it needs of the mail adapter
    (showing or replaying a kept message) it asks of the composition root."""
    wrong = [str(i) for i in all_imports()
             if _top(i.importer) == "web" and _top(i.target) in set(ADAPTERS) - {"web"}]
    assert not wrong, "web/ may not import mail, bot or scheduler:\n" + "\n".join(wrong)


def test_only_compose_and_ops_import_the_email_package() -> None:
    wrong = [str(i) for i in all_imports()
             if _top(i.importer) == "clerk" and _top(i.target) == "email"
             and i.importer != "clerk.outbox.compose" and not _under(i.importer, "clerk.ops")]
    assert not wrong, "only clerk.outbox.compose and clerk.ops may import email:\n" \
        + "\n".join(wrong)


def dependencies() -> dict[str, set[str]]:
    """The module graph that import cycles are looked for in.

    Importing ``a.b.c`` runs ``a`` and ``a.b`` (their ``__init__``) first, so the importer
    depends on those packages too, unless it is inside them (its own packages are already being
    imported when it runs). A package's ``__init__`` importing its submodules counts like any
    other import: that is how a cycle through a package's ``__init__`` shows.
    """
    graph: dict[str, set[str]] = {name: set() for name in modules()}
    for i in all_imports():
        if i.type_checking or i.target not in modules() or i.target == i.importer:
            continue
        parts = i.target.split(".")
        for n in range(1, len(parts) + 1):
            needed = ".".join(parts[:n])
            if needed in modules() and not _under(i.importer, needed):
                graph[i.importer].add(needed)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:  # iterative: the graph is deep enough to worry recursion
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return sorted(found)


def a_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One shortest cycle through the first module of a component, for the message."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & members):
            if child == start:
                return [*paths[node], start]
            if child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    return component


def test_no_import_cycles() -> None:
    graph = dependencies()
    found = cycles(graph)
    lines = [f"{len(c)} modules: {' -> '.join(a_cycle(graph, c))}" for c in found]
    assert not found, "import cycles (each line: the size of the tangle, one cycle in it):\n" \
        + "\n".join(lines)


def lazy_reason(i: Import) -> str | None:
    for (importer, prefix), why in LAZY.items():
        if i.importer == importer and (i.target == prefix or (
                prefix.endswith(".") and i.target.startswith(prefix))):
            return why
    return None


def test_no_function_level_imports_of_clerk_modules_but_the_listed_ones() -> None:
    wrong = [str(i) for i in all_imports()
             if i.in_function and _top(i.target) in PACKAGES and lazy_reason(i) is None]
    assert not wrong, "import at the top of the module (or list it in LAZY, saying why):\n" \
        + "\n".join(wrong)


def test_the_reader_sees_function_level_relative_and_type_checking_imports() -> None:
    """The contract's own reader, on a module written to show each case."""
    tree = ast.parse("from typing import TYPE_CHECKING\n"
                     "from . import verdict\n"
                     "if TYPE_CHECKING:\n    from mail.mime import parse_message\n"
                     "def f():\n    import clerk.store.rows\n"
                     "    async def g():\n        from clerk import app\n"
                     "        if TYPE_CHECKING:\n            import bot.app\n")
    assert [(getattr(node, "module", None) or node.names[0].name, in_function, type_checking)
            for node, in_function, type_checking in _walk(tree, False, False)] == [
        ("typing", False, False), ("verdict", False, False), ("mail.mime", False, True),
        ("clerk.store.rows", True, False), ("clerk", True, False), ("bot.app", True, True)]
    relative = ast.parse("from .terms import Body\nfrom .. import app").body
    assert isinstance(relative[0], ast.ImportFrom) and isinstance(relative[1], ast.ImportFrom)
    assert _base("clerk.rules.verdict", relative[0]) == "clerk.rules.terms"
    assert _base("clerk.rules", relative[0]) == "clerk.rules.terms"  # from a package's __init__
    assert _base("clerk.rules.verdict", relative[1]) == "clerk"
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}) == [["a", "b", "c"]]
    assert a_cycle({"a": {"b"}, "b": {"c", "a"}, "c": {"a"}}, ["a", "b", "c"]) == ["a", "b", "a"]


def _capability(name: str) -> str | None:
    parts = name.split(".")
    if len(parts) >= 2 and parts[0] == "clerk" and any(parts[1] in layer for layer in LAYERS):
        return parts[1]
    return None


def test_the_capability_packages_form_layers() -> None:
    level = {package: n for n, layer in enumerate(LAYERS) for package in layer}
    packages = {name.split(".")[1] for name in modules() if name.startswith("clerk.")
                and name.count(".") == 1 and is_package(name)}
    foundation = {"rules", "store", "ops", "oauth2", "cli"}
    assert set(level) == packages - foundation, "every package of clerk but the foundation and the " \
        f"CLI has its layer: {sorted(packages - foundation - set(level))} missing"
    wrong = [f"{i} (layer {level[src]} -> layer {level[dst]})" for i in all_imports()
             if (src := _capability(i.importer)) and (dst := _capability(i.target))
             and src != dst and level[dst] >= level[src]]
    assert not wrong, "a package may import only packages of the layers below it:\n" + "\n".join(wrong)
