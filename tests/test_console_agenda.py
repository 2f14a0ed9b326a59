"""The agenda and papers in the console: items added, renamed, moved and removed (standing items
kept), papers uploaded several at once and downloaded, the draft sent to the Chair and approved
by the Chair in the console (and refused to anyone else), circulation with late papers and
supplements marked, declarations of interest; another body's facilitator gets 403 throughout."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from clerk.agenda import AddItem, add_item, read_agenda
from clerk.app import Clerk
from clerk.cli import main
from clerk.clock import FakeClock
from clerk.meetings import Meeting, get_meeting
from clerk.store import audit
from tests.app_fixtures import EXAMPLE_MEMBERS
from tests.console_fixtures import ConsoleClient

FACILITATOR = "facilitator@carers.example.org"
CHAIR = "alice.ashworth@example.org"
VICE_CHAIR = "bilal.bennett@example.org"
OTHER_FACILITATOR = "jcb.support@worcs.example.org"
PDF = b"%PDF-1.7\n" + b"a paper\n" * 200

Console = Callable[[str], ConsoleClient]


def titles(app: Clerk, meeting: Meeting) -> list[str]:
    return [i.title for i in read_agenda(app, app.store.db, get_meeting(app, meeting.ref)).items]


def item_id(app: Clerk, meeting: Meeting, title: str) -> int:
    found = next(i for i in read_agenda(app, app.store.db, meeting).items if i.title == title)
    assert found.id is not None
    return found.id


def item_key(app: Clerk, meeting: Meeting, title: str) -> str:
    return next(i.key for i in read_agenda(app, app.store.db, meeting).items if i.title == title)


def audit_rows(app: Clerk, action: str) -> list[dict[str, object]]:
    return list(app.store.all("SELECT actor, channel, detail FROM audit WHERE action = ?",
                              [action]))


def test_the_facilitator_adds_an_item_with_papers_and_sees_the_agenda(
        console: Console, clerk_app: Clerk, meeting: Meeting) -> None:
    client = console(FACILITATOR)
    page = client.get(f"/meetings/{meeting.ref}/agenda")
    assert page.status == 200
    assert "Agenda and papers" in page.text and "Carers Partnership meeting, Thursday 14 January " \
        "2027" in page.text
    assert "Welcome and apologies" in page.text and "Standing item" in page.text
    assert "Papers due" in page.text and "not circulated yet" in page.text
    assert "Not approved yet" in page.text and "Alice Ashworth (Chair)" in page.text
    assert "Approve this agenda" not in page.text  # the facilitator is not the Chair

    page = client.post(f"/meetings/{meeting.ref}/agenda/items",
                       {"title": "Carers' Strategy refresh", "lead": "Priya Patel"},
                       files=[("item-papers", ("Strategy.pdf", PDF, "application/pdf")),
                              ("item-papers", ("Plan.pdf", PDF + b"2", "application/pdf"))])
    assert page.path == f"/meetings/{meeting.ref}/agenda" and page.history == (303,)
    assert "is on the agenda: Carers&#39; Strategy refresh with 2 papers" in page.text
    assert "Strategy.pdf" in page.text and "Plan.pdf" in page.text and "Lead: Priya Patel" in page.text
    assert "Carers' Strategy refresh" in titles(clerk_app, meeting)
    added = audit_rows(clerk_app, "agenda.add_item")
    assert [(r["actor"], r["channel"]) for r in added] == [(FACILITATOR, "console")]
    papers = audit_rows(clerk_app, "papers.add")
    assert {(r["actor"], r["channel"]) for r in papers} == {(FACILITATOR, "console")}
    assert len(papers) == 2


def test_an_item_needs_a_title(console: Console, clerk_app: Clerk, meeting: Meeting) -> None:
    page = console(FACILITATOR).post(f"/meetings/{meeting.ref}/agenda/items",
                                     {"title": "  ", "lead": "not@an address"})
    assert page.status == 400 and "There is a problem" in page.text
    assert "The item needs a title." in page.text and 'href="#title"' in page.text
    assert all(i.standing for i in read_agenda(clerk_app, clerk_app.store.db, meeting).items)


def test_items_are_renamed_moved_and_removed_but_standing_items_stay(
        console: Console, clerk_app: Clerk, meeting: Meeting) -> None:
    for title in ("Budget", "Young carers", "Any other business"):
        add_item(clerk_app, AddItem(meeting.ref, title))
    client = console(FACILITATOR)
    base = f"/meetings/{meeting.ref}/agenda/items"
    young = item_id(clerk_app, meeting, "Young carers")

    page = client.post(f"{base}/{young}/move", {"direction": "up"})
    assert page.status == 200 and "moved up to item" in page.text
    own = [t for t in titles(clerk_app, meeting) if t in ("Budget", "Young carers",
                                                          "Any other business")]
    assert own == ["Young carers", "Budget", "Any other business"]
    # the first item cannot go higher: nothing changes
    page = client.post(f"{base}/{young}/move", {"direction": "up"})
    assert "is the first item already" in page.text

    page = client.get(f"{base}/{young}")
    assert page.status == 200 and 'value="Young carers"' in page.text
    page = client.post(f"{base}/{young}", {"title": "Young carers' services"})
    assert "is now called" in page.text
    assert "Young carers' services" in titles(clerk_app, meeting)
    # a title another item has is refused, and the form shows it again
    page = client.post(f"{base}/{young}", {"title": "Budget"})
    assert page.status == 400 and "another item on the agenda is called" in page.text.replace(
        "&#34;", '"').lower()

    budget = item_id(clerk_app, meeting, "Budget")
    page = client.post(f"{base}/{budget}/remove")
    assert page.status == 200 and "removed" in page.text
    assert "Budget" not in titles(clerk_app, meeting)
    # removing it again changes nothing (a second click)
    assert client.post(f"{base}/{budget}/remove").status == 200

    # a standing item is clerk's
    standing = item_id(clerk_app, meeting, "Welcome and apologies")
    for path, data in ((f"{base}/{standing}/remove", {}), (f"{base}/{standing}", {"title": "Hi"}),
                       (f"{base}/{standing}/move", {"direction": "down"})):
        page = client.post(path, data)
        assert page.status == 400 and "a standing item cannot be" in page.text.lower()
    assert "Welcome and apologies" in titles(clerk_app, meeting)

    actions = {(r["actor"], r["channel"]) for action in ("agenda.move_item",
                                                         "agenda.rename_item",
                                                         "agenda.remove_item")
               for r in audit_rows(clerk_app, action)}
    assert actions == {(FACILITATOR, "console")}
    assert audit.verify_chain(clerk_app.store.db).ok


def test_several_papers_at_once_and_each_downloads(console: Console, clerk_app: Clerk,
                                                   meeting: Meeting) -> None:
    add_item(clerk_app, AddItem(meeting.ref, "Budget"))
    client = console(FACILITATOR)
    key = item_key(clerk_app, meeting, "Budget")
    page = client.post(f"/meetings/{meeting.ref}/agenda/papers", {"item": key}, files=[
        ("papers", ("Budget 2027.pdf", PDF, "application/pdf")),
        ("papers", ("Dépenses.csv", b"line,amount\nrent,10\n", "text/csv")),
    ])
    assert page.status == 200 and "Budget 2027.pdf added to item" in page.text
    assert "Dépenses.csv added to item" in page.text
    papers = next(i for i in read_agenda(clerk_app, clerk_app.store.db, meeting).items
                  if i.title == "Budget").papers
    assert sorted(p.filename for p in papers) == ["Budget 2027.pdf", "Dépenses.csv"]
    # the same file again changes nothing
    page = client.post(f"/meetings/{meeting.ref}/agenda/papers", {"item": key},
                       files=[("papers", ("Budget 2027.pdf", PDF, "application/pdf"))])
    assert "was already on item" in page.text

    by_name = {p.filename: p for p in papers}
    pdf = by_name["Budget 2027.pdf"]
    assert f'href="/meetings/{meeting.ref}/papers/{pdf.id}"' in page.text

    async def fetch(path: str) -> tuple[int, dict[str, str], bytes]:
        async with client.client.get(path) as response:
            return response.status, dict(response.headers), await response.read()

    status, headers, body = client.loop.run_until_complete(
        fetch(f"/meetings/{meeting.ref}/papers/{pdf.id}"))
    assert status == 200 and body == PDF and headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"].startswith('attachment; filename="budget-2027.pdf"')
    csv = by_name["Dépenses.csv"]
    status, headers, body = client.loop.run_until_complete(
        fetch(f"/meetings/{meeting.ref}/papers/{csv.id}"))
    assert status == 200 and body.startswith(b"line,amount")
    assert "filename*=UTF-8''D%C3%A9penses.csv" in headers["Content-Disposition"]
    assert headers["Cache-Control"] == "no-store"
    # a paper of no meeting, or of another meeting, is not found
    assert client.get(f"/meetings/{meeting.ref}/papers/9999").status == 404
    assert client.get(f"/meetings/{meeting.ref}/papers/x").status == 404


def test_uploading_needs_an_item_and_a_file(console: Console, clerk_app: Clerk,
                                            meeting: Meeting) -> None:
    client = console(FACILITATOR)
    page = client.post(f"/meetings/{meeting.ref}/agenda/papers", {"item": ""},
                       files=[("papers", ("a.pdf", PDF, "application/pdf"))])
    assert page.status == 400 and "Choose the item the papers are for." in page.text
    key = item_key(clerk_app, meeting, "Welcome and apologies")
    page = client.post(f"/meetings/{meeting.ref}/agenda/papers", {"item": key})
    assert page.status == 400 and "Choose one or more files" in page.text
    page = client.post(f"/meetings/{meeting.ref}/agenda/papers", {"item": key},
                       files=[("papers", ("empty.pdf", b"", "application/pdf")),
                              ("papers", ("good.pdf", PDF, "application/pdf"))])
    assert page.status == 400 and "empty.pdf: empty.pdf is empty." in page.text
    assert "The others were uploaded: good.pdf added to item 1" in page.text


def test_the_chair_approves_in_the_console_and_no_one_else_can(
        console: Console, clerk_app: Clerk, meeting: Meeting) -> None:
    add_item(clerk_app, AddItem(meeting.ref, "Budget"))
    facilitator = console(FACILITATOR)
    page = facilitator.post(f"/meetings/{meeting.ref}/agenda/send")
    assert "The draft agenda (version" in page.text and "Alice Ashworth" in page.text
    assert clerk_app.store.one("SELECT to_addr FROM outbox WHERE kind = 'agenda_draft'"
                               )["to_addr"] == CHAIR  # type: ignore[index]
    sent = audit_rows(clerk_app, "agenda.sent")
    assert [(r["actor"], r["channel"]) for r in sent] == [(FACILITATOR, "console")]
    page = facilitator.post(f"/meetings/{meeting.ref}/agenda/send")
    assert "nothing new was sent" in page.text

    # the facilitator and the Vice-Chair (who may not approve here) are refused, clearly
    for who in (FACILITATOR, VICE_CHAIR):
        client = console(who)
        page = client.get(f"/meetings/{meeting.ref}/agenda")
        assert page.status == 200 and "Approve this agenda" not in page.text
        version = read_agenda(clerk_app, clerk_app.store.db, meeting).version
        page = client.post(f"/meetings/{meeting.ref}/agenda/approve", {"version": str(version)})
        assert page.status == 403 and "You cannot approve this agenda" in page.text
        assert "only the Chair may agree the agenda of Carers Partnership" in page.text
    assert not read_agenda(clerk_app, clerk_app.store.db, meeting).approved
    refused = audit_rows(clerk_app, "agenda.approve_refused")
    assert {r["actor"] for r in refused} == {FACILITATOR, VICE_CHAIR}

    chair = console(CHAIR)
    page = chair.get(f"/meetings/{meeting.ref}/agenda")
    assert "Approve this agenda (version" in page.text
    version = read_agenda(clerk_app, clerk_app.store.db, meeting).version
    page = chair.post(f"/meetings/{meeting.ref}/agenda/approve", {"version": str(version)})
    assert page.status == 200 and "Agenda approved by Alice Ashworth" in page.text
    assert "Approved" in page.text and "Approve this agenda" not in page.text
    agenda = read_agenda(clerk_app, clerk_app.store.db, meeting)
    assert agenda.approved
    approved = audit_rows(clerk_app, "agenda.approve")
    assert [(r["actor"], r["channel"]) for r in approved] == [(CHAIR, "console")]


def test_an_approval_of_a_page_the_agenda_has_outgrown_approves_nothing(
        console: Console, clerk_app: Clerk, meeting: Meeting) -> None:
    chair = console(CHAIR)
    chair.get(f"/meetings/{meeting.ref}/agenda")
    seen = read_agenda(clerk_app, clerk_app.store.db, meeting).version
    add_item(clerk_app, AddItem(meeting.ref, "Budget"))  # meanwhile, the facilitator adds one
    page = chair.post(f"/meetings/{meeting.ref}/agenda/approve", {"version": str(seen)})
    assert page.status == 409 and "The agenda changed after you opened this page" in page.text
    assert not read_agenda(clerk_app, clerk_app.store.db, meeting).approved


def test_circulating_late_papers_and_a_supplement(console: Console, clerk_app: Clerk,
                                                  clock: FakeClock, meeting: Meeting) -> None:
    add_item(clerk_app, AddItem(meeting.ref, "Budget"))
    client = console(FACILITATOR)
    key = item_key(clerk_app, meeting, "Budget")
    client.post(f"/meetings/{meeting.ref}/agenda/papers", {"item": key},
                files=[("papers", ("Budget.pdf", PDF, "application/pdf"))])
    page = client.post(f"/meetings/{meeting.ref}/agenda/circulate")
    assert page.status == 400 and "the Chair has not approved the agenda yet" in page.text

    # past the papers' day, not circulated: marked late
    clock.set(meeting.starts_at - timedelta(days=3))
    client.sign_in(FACILITATOR)  # (the session has ended meanwhile)
    page = client.get(f"/meetings/{meeting.ref}/agenda")
    assert "Late if sent now" in page.text
    page = console(CHAIR).post(f"/meetings/{meeting.ref}/agenda/approve", {
        "version": str(read_agenda(clerk_app, clerk_app.store.db, meeting).version)})
    # approved after the papers' day, they went at once, late
    assert "Agenda approved" in page.text
    page = client.get(f"/meetings/{meeting.ref}/agenda")
    assert "Circulated with the papers on" in page.text and "Late" in page.text
    assert "Send what is new as a supplement" in page.text

    # a paper added now goes as a supplement, and is marked so
    client.post(f"/meetings/{meeting.ref}/agenda/papers", {"item": key},
                files=[("papers", ("Annex.pdf", PDF + b"annex", "application/pdf"))])
    page = client.get(f"/meetings/{meeting.ref}/agenda")
    assert "Supplement 1 circulated on" in page.text
    assert re.search(r"Annex\.pdf.*?Circulated in supplement 1.*?Supplement", page.text, re.S)
    page = client.post(f"/meetings/{meeting.ref}/agenda/circulate")
    assert page.status == 400 and "Nothing new to circulate." in page.text

    # its papers have gone out: the item stays on the record
    budget = item_id(clerk_app, meeting, "Budget")
    page = client.post(f"/meetings/{meeting.ref}/agenda/items/{budget}/remove")
    assert page.status == 400 and "have been circulated to the members" in page.text
    assert "Budget" in titles(clerk_app, meeting)


def test_a_declaration_of_interest_is_recorded(console: Console, clerk_app: Clerk,
                                               meeting: Meeting) -> None:
    add_item(clerk_app, AddItem(meeting.ref, "Carers' grants"))
    client = console(FACILITATOR)
    key = item_key(clerk_app, meeting, "Carers' grants")
    page = client.post(f"/meetings/{meeting.ref}/agenda/declarations",
                        {"declare-item": key, "declarant": "priya.patel@example.org",
                         "interest": ""})
    assert page.status == 400 and "Say what the interest is." in page.text
    page = client.post(f"/meetings/{meeting.ref}/agenda/declarations",
                       {"declare-item": key, "declarant": "priya.patel@example.org",
                        "interest": "A trustee of Carers & Communities"})
    assert page.status == 200 and "Declaration recorded" in page.text
    assert "Priya Patel" in page.text and "A trustee of Carers &amp; Communities" in page.text
    row = clerk_app.store.one("SELECT actor, channel, evidence FROM audit WHERE action = "
                              "'declaration.record'")
    assert row is not None and row["channel"] == "console"
    assert json.loads(row["evidence"]) == {"recorded_by": FACILITATOR}
    # an item with a declaration stays on the record
    declared = item_id(clerk_app, meeting, "Carers' grants")
    page = client.post(f"/meetings/{meeting.ref}/agenda/items/{declared}/remove")
    assert page.status == 400 and "declaration of interest is recorded against it" in page.text


def test_another_bodys_facilitator_gets_403_for_every_page_and_form(
        console: Console, clerk_app: Clerk, meeting: Meeting) -> None:
    add_item(clerk_app, AddItem(meeting.ref, "Budget"))
    mine = console(FACILITATOR)
    key = item_key(clerk_app, meeting, "Budget")
    mine.post(f"/meetings/{meeting.ref}/agenda/papers", {"item": key},
              files=[("papers", ("Budget.pdf", PDF, "application/pdf"))])
    paper = next(p for i in read_agenda(clerk_app, clerk_app.store.db, meeting).items
                 for p in i.papers)
    budget = item_id(clerk_app, meeting, "Budget")
    other = console(OTHER_FACILITATOR)
    before = clerk_app.store.one("SELECT COUNT(*) AS n FROM audit")["n"]  # type: ignore[index]
    base = f"/meetings/{meeting.ref}"
    for path in (f"{base}/agenda", f"{base}/agenda/items/{budget}",
                 f"{base}/papers/{paper.id}"):
        page = other.get(path)
        assert page.status == 403 and "This page belongs to a body you do not serve" in page.text
        assert "Budget" not in page.text
    other.get("/")  # a page of its own, for its CSRF token
    posts: list[tuple[str, dict[str, str]]] = [
        (f"{base}/agenda/items", {"title": "Hijack"}),
        (f"{base}/agenda/items/{budget}", {"title": "Hijacked"}),
        (f"{base}/agenda/items/{budget}/move", {"direction": "up"}),
        (f"{base}/agenda/items/{budget}/remove", {}),
        (f"{base}/agenda/papers", {"item": key}),
        (f"{base}/agenda/send", {}),
        (f"{base}/agenda/approve", {"version": "1"}),
        (f"{base}/agenda/circulate", {}),
        (f"{base}/agenda/declarations", {"declare-item": key, "declarant": CHAIR,
                                         "interest": "x"}),
    ]
    for path, data in posts:
        page = other.post(path, data, files=[("papers", ("x.pdf", PDF, "application/pdf"))]
                          if path.endswith("/papers") else ())
        assert page.status == 403, path
    assert clerk_app.store.one("SELECT COUNT(*) AS n FROM audit")["n"] == before  # type: ignore[index]
    assert "Budget" in titles(clerk_app, meeting) and "Hijack" not in titles(clerk_app, meeting)
    assert clerk_app.store.one("SELECT id FROM outbox WHERE kind = 'agenda_draft'") is None
    # a meeting that does not exist is not found, for anyone
    assert other.get("/meetings/NOPE-1/agenda").status == 404


def test_the_cli_renames_moves_and_removes_items_too(workdir: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(EXAMPLE_MEMBERS, workdir / "members.csv")

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    assert run("members", "import", "members.csv")[0] == 0
    assert run("meetings", "add", "carers", "--at", "2035-01-11 10:00")[0] == 0
    ref = "carers-2035-01-11"
    for title in ("Budget", "Annual report"):
        assert run("agenda", "add", ref, title)[0] == 0
    code, out, _ = run("agenda", "move", ref, "4", "--up")
    assert code == 0 and '"Annual report" moved up to item 3.' in out
    code, out, _ = run("agenda", "rename", ref, "4", "Budget 2035")
    assert code == 0 and 'Item 4 "Budget" is now called "Budget 2035".' in out
    code, _, err = run("agenda", "remove", ref, "1")
    assert code == 2 and "a standing item cannot be removed" in err
    code, out, _ = run("agenda", "remove", ref, "3")
    assert code == 0 and 'Item 3 "Annual report" removed.' in out
    code, out, _ = run("agenda", "show", ref)
    assert "Budget 2035" in out and "Annual report" not in out
