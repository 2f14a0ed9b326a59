"""Every configuration key does something, or is listed as accepted but not acted on yet.

A key that nothing reads is a defect unless it is in ``clerk.config.NOT_YET_ACTED_ON``, which the
README lists and ``clerk check-config`` notes; a key that starts to work leaves that list.
"""

from __future__ import annotations

import ast
import json
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from clerk.cli import main
from clerk.config import NOT_YET_ACTED_ON, Config, keys_not_acted_on, load_config
from tests.app_fixtures import EXAMPLE_CONFIG

ROOT = Path(__file__).resolve().parent.parent
READERS = ("clerk", "mail", "bot", "scheduler")

#: Keys read in clerk/config.py itself, through a property that the rest of clerk reads.
READ_THROUGH = {"clerk.database": "database_path", "mail.maildir": "maildir_path",
                "bodies.short_name": "label"}

#: Listed keys whose name is also an attribute of something else (``self.source`` of the IMAP
#: reader, an observers ``note``): whether they have started to work cannot be told by name.
SHARED_NAMES = {"source", "meetings.note", "substitutes.note"}


def _models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def config_keys(model: type[BaseModel] = Config, prefix: str = "",
                inside: tuple[type[BaseModel], ...] = ()) -> Iterator[str]:
    """Every key path of the file (``bodies.quorum.all_of.at_least`` ...), recursive models once."""
    for name, field in model.model_fields.items():
        path = prefix + name
        yield path
        for sub in _models(field.annotation):
            if sub not in inside:
                yield from config_keys(sub, path + ".", (*inside, model))


def names_read() -> set[str]:
    """Attribute names read outside clerk/config.py, and names given to getattr as strings."""
    read: set[str] = set()
    for folder in READERS:
        for path in (ROOT / folder).rglob("*.py"):
            if path == ROOT / "clerk" / "config.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Attribute):
                    read.add(node.attr)
                elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                      and node.func.id == "getattr" and len(node.args) >= 2
                      and isinstance(node.args[1], ast.Constant)):
                    read.add(str(node.args[1].value))
                elif isinstance(node, ast.For | ast.comprehension) and isinstance(
                        node.iter, ast.Tuple | ast.List | ast.Set):
                    # for name in ("role", "office"): ... getattr(self, name)
                    read.update(str(e.value) for e in node.iter.elts if isinstance(e, ast.Constant))
    return read


def _listed(body_key: str) -> bool:
    parts = body_key.split(".")
    return any(".".join(parts[:n]) in NOT_YET_ACTED_ON for n in range(1, len(parts) + 1))


def test_every_key_is_read_somewhere_or_listed_as_not_acted_on_yet() -> None:
    read = names_read()
    unread = []
    for key in config_keys():
        if key.startswith("bodies.") and _listed(key.removeprefix("bodies.")):
            continue
        name = READ_THROUGH.get(key, key.rsplit(".", 1)[-1])
        if name not in read:
            unread.append(key)
    assert unread == [], ("keys nothing outside clerk/config.py reads: make them work, or add them "
                          "to NOT_YET_ACTED_ON and the README's list")


def test_each_listed_key_is_a_body_key_and_not_read_yet() -> None:
    body_keys = {k.removeprefix("bodies.") for k in config_keys() if k.startswith("bodies.")}
    assert body_keys >= NOT_YET_ACTED_ON
    read = names_read()
    working = [k for k in NOT_YET_ACTED_ON - SHARED_NAMES if k.rsplit(".", 1)[-1] in read]
    assert working == [], "these keys are read now: take them out of NOT_YET_ACTED_ON and the README"


def test_the_readme_lists_every_key_not_acted_on_yet() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("Keys accepted but not yet acted on", 1)[1].split("\n### ", 1)[0]
    for key in NOT_YET_ACTED_ON:
        assert re.search(rf"\b{key.rsplit('.', 1)[-1]}\b", section), key


def test_only_keys_the_file_sets_are_noted() -> None:
    config = load_config(EXAMPLE_CONFIG)
    assert keys_not_acted_on(config.bodies["cypsp-jcb"]) == [
        "chairing.appointed", "decisions.method", "meetings.note", "source", "substitutes.note"]
    assert "chairing.elected_annually" in keys_not_acted_on(config.bodies["carers"])
    assert "reports_to" not in keys_not_acted_on(config.bodies["carers"])
    bare = Config.model_validate({"bodies": {"plain": {"name": "Plain Board",
                                                       "chairing": {"chair_office": "chair"}}}})
    assert keys_not_acted_on(bare.bodies["plain"]) == []
    assert bare.notes() == []


def test_check_config_notes_keys_not_acted_on_yet(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(EXAMPLE_CONFIG)]) == 0
    out = capsys.readouterr().out
    assert ('Note: body "cypsp-jcb": accepted, not acted on yet: '
            "chairing.appointed, decisions.method, meetings.note") in out
    assert "Warning" not in out
    assert main(["check-config", str(EXAMPLE_CONFIG), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["warnings"] == []
    assert len(shown["notes"]) == 7  # every body sets source, say
    assert not any("reports_to" in n or "unresolved" in n for n in shown["notes"])


def test_a_file_without_such_keys_gets_no_note(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[bodies.plain]\nname = "Plain Board"\n', encoding="utf-8")
    assert main(["check-config", str(path)]) == 0
    assert "Note:" not in capsys.readouterr().out

