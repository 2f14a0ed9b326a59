"""The console's inbox: messages quarantined, unclear or refused, with the reason and whose they
are; one message shown as text (never HTML); replaying a quarantined one; attaching one by hand
to a member's reply (once only, audited with the facilitator); who sees which message."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from clerk.app import Clerk
from clerk.mail_in import inbox
from clerk.mail_in.message import Decision, VerifiedReply
from clerk.meetings.schedule import Meeting
from clerk.store import audit
from clerk.tokens.reply_keys import issue_key
from mail.ingest import ingest
from tests.app_fixtures import key_of, reply_of
from tests.console_fixtures import ConsoleClient
from tests.reply_mail import reply

FACILITATOR = "facilitator@carers.example.org"
CHAIR = "alice.ashworth@example.org"
OTHER_FACILITATOR = "jcb.support@worcs.example.org"
CAROL = "carol.chowdhury@example.org"

Console = Callable[[str], ConsoleClient]


@pytest.fixture
def admin(clerk_app: Clerk) -> str:
    """An administrator of the console (``[web] admins``)."""
    web = clerk_app.config.web.model_copy(update={"admins": ("it.admin@council.example",)})
    clerk_app.config = clerk_app.config.model_copy(update={"web": web})
    return "it.admin@council.example"


def read(app: Clerk, raw: bytes) -> int:
    outcome = ingest(app, raw, source="test")
    assert outcome.inbound_id is not None
    return outcome.inbound_id


@pytest.fixture
def unclear(clerk_app: Clerk, meeting: Meeting) -> int:
    """Carol's answer that says both yes and no."""
    return read(clerk_app, reply(CAROL, key_of(clerk_app, CAROL, meeting.ref),
                                 "Yes I'll come. No, I won't.\n<script>alert(1)</script>"))


@pytest.fixture
def from_elsewhere(clerk_app: Clerk, meeting: Meeting) -> int:
    """Carol answering from her home address with her invitation's key: refused."""
    return read(clerk_app, reply("carol.at.home@example.net", key_of(clerk_app, CAROL, meeting.ref),
                                 "Yes I will attend", subject="Re: Invitation <b>bold</b>"))


@pytest.fixture
def stranger(clerk_app: Clerk) -> int:
    """A message from someone clerk does not know, answering nothing."""
    return read(clerk_app, reply("someone@elsewhere.example", None, "Hello, who do I ask?"))


def test_the_inbox_lists_what_needs_attention_with_the_reason(
        console: Console, unclear: int, from_elsewhere: int, stranger: int) -> None:
    page = console(FACILITATOR).get("/inbox")
    assert page.status == 200
    for number in (unclear, from_elsewhere, stranger):
        assert f'href="/inbox/{number}"' in page.text
    assert "Not understood" in page.text and "Refused" in page.text
    # the refusal in the words the sender was told
    assert "sent to a different email address" in page.text
    assert "Carol Chowdhury (carol.chowdhury@example.org)" in page.text
    only = console(FACILITATOR).get("/inbox?status=unclear")
    assert f'href="/inbox/{unclear}"' in only.text and f'href="/inbox/{stranger}"' not in only.text


def test_who_sees_which_message(console: Console, unclear: int, stranger: int) -> None:
    jcb = console(OTHER_FACILITATOR).get("/inbox")
    assert f'href="/inbox/{unclear}"' not in jcb.text  # a Carers Partnership member's
    assert f'href="/inbox/{stranger}"' in jcb.text  # nobody's: every facilitator
    assert console(OTHER_FACILITATOR).get(f"/inbox/{unclear}").status == 403
    chair = console(CHAIR).get("/inbox")
    assert f'href="/inbox/{unclear}"' in chair.text  # the Chair serves the body
    assert f'href="/inbox/{stranger}"' not in chair.text  # but sorts no stranger's mail
    assert console(CHAIR).get(f"/inbox/{stranger}").status == 403
    assert console(FACILITATOR).get("/inbox/99999").status == 404


def test_a_message_is_shown_as_escaped_text(console: Console, unclear: int,
                                            from_elsewhere: int) -> None:
    page = console(FACILITATOR).get(f"/inbox/{unclear}")
    assert page.status == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert" not in page.text
    assert CAROL in page.text and "Message-ID" in page.text
    assert "Your message seems to say both yes and no." in page.text
    other = console(FACILITATOR).get(f"/inbox/{from_elsewhere}")
    assert "Invitation &lt;b&gt;bold&lt;/b&gt;" in other.text
    # the reading is suggested: Carol (by the key), the meeting, attending
    assert f'<option value="{CAROL}" selected>' in other.text
    assert 'value="attend" checked' in other.text


def test_attaching_by_hand_records_the_reply_once(console: Console, clerk_app: Clerk,
                                                  meeting: Meeting, from_elsewhere: int) -> None:
    client = console(FACILITATOR)
    client.get(f"/inbox/{from_elsewhere}")
    form = {"member": CAROL, "meeting": meeting.ref, "intent": "attend"}
    page = client.post(f"/inbox/{from_elsewhere}/attach", form)
    assert page.path == f"/inbox/{from_elsewhere}" and "The message was attached" in page.text
    assert "Dealt with" in page.text and "Record this reply" not in page.text
    assert reply_of(clerk_app, meeting, CAROL) == "attend"
    recorded = clerk_app.store.one("SELECT * FROM audit WHERE action = 'reply.recorded'")
    assert recorded is not None and recorded["actor"] == FACILITATOR
    assert recorded["channel"] == "console"
    assert json.loads(recorded["evidence"])["inbound_id"] == from_elsewhere
    attached = clerk_app.store.one("SELECT * FROM audit WHERE action = 'inbound.attached'")
    assert attached is not None and attached["actor"] == FACILITATOR
    # the same form again (a double click, a reload): nothing counted twice
    again = client.post(f"/inbox/{from_elsewhere}/attach", form)
    assert "attached before" in again.text
    assert clerk_app.store.one("SELECT COUNT(*) AS n FROM audit WHERE action IN "
                               "('reply.recorded', 'inbound.attached')")["n"] == 2  # type: ignore[index]
    assert f'href="/inbox/{from_elsewhere}"' not in client.get("/inbox").text
    assert audit.verify_chain(clerk_app.store.db).ok


def test_attaching_explains_what_is_missing_or_refused(console: Console, meeting: Meeting,
                                                       unclear: int, clerk_app: Clerk) -> None:
    client = console(FACILITATOR)
    client.get(f"/inbox/{unclear}")
    page = client.post(f"/inbox/{unclear}/attach", {"member": CAROL, "meeting": meeting.ref})
    assert page.status == 400 and "There is a problem" in page.text
    assert "Select what the reply says" in page.text
    page = client.post(f"/inbox/{unclear}/attach", {"member": "uma.upton@example.org",
                                                    "meeting": meeting.ref, "intent": "attend"})
    assert page.status == 400 and "is not a member of" in page.text
    assert reply_of(clerk_app, meeting, CAROL) == "no_reply"


def test_a_quarantined_message_is_replayed(console: Console, clerk_app: Clerk, meeting: Meeting,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(app: Clerk, db: Any, verified: VerifiedReply) -> Decision:
        raise RuntimeError("the disk is on fire")

    monkeypatch.setitem(inbox.PURPOSE_HANDLERS, "rsvp", broken)
    number = read(clerk_app, reply(CAROL, key_of(clerk_app, CAROL, meeting.ref), "Yes"))
    monkeypatch.undo()
    client = console(FACILITATOR)
    page = client.get(f"/inbox/{number}")
    assert "Kept for later" in page.text and "the disk is on fire" in page.text
    done = client.post(f"/inbox/{number}/replay")
    assert done.path == f"/inbox/{number}" and "processed" in done.text
    assert reply_of(clerk_app, meeting, CAROL) == "attend"
    event = clerk_app.store.one("SELECT * FROM audit WHERE action = 'inbound.replayed'")
    assert event is not None and event["actor"] == FACILITATOR
    assert "Replay the message" not in done.text


def test_others_cannot_replay_or_attach(console: Console, clerk_app: Clerk, meeting: Meeting,
                                        from_elsewhere: int) -> None:
    form = {"member": CAROL, "meeting": meeting.ref, "intent": "attend"}
    other = console(OTHER_FACILITATOR)
    other.get("/inbox")
    assert other.post(f"/inbox/{from_elsewhere}/attach", form).status == 403
    assert other.post(f"/inbox/{from_elsewhere}/replay").status == 403
    chair = console(CHAIR)
    page = chair.get(f"/inbox/{from_elsewhere}")
    assert page.status == 200 and "Record this reply" not in page.text
    assert chair.post(f"/inbox/{from_elsewhere}/attach", form).status == 403
    assert reply_of(clerk_app, meeting, CAROL) == "no_reply"


def test_an_administrator_sees_every_message(console: Console, admin: str, unclear: int,
                                             stranger: int) -> None:
    page = console(admin).get("/inbox")
    assert f'href="/inbox/{unclear}"' in page.text and f'href="/inbox/{stranger}"' in page.text
    assert "Record this reply" in console(admin).get(f"/inbox/{unclear}").text


def test_an_answer_to_a_ballot_is_the_facilitators_alone(console: Console, clerk_app: Clerk,
                                                         meeting: Meeting) -> None:
    """An unclear reply to a ballot says who voted: the Chair does not see it, and it cannot be
    attached by hand (a vote is the voter's to cast)."""
    with clerk_app.store.write() as db:
        person = db.execute("SELECT id FROM people WHERE email = ?", [CAROL]).fetchone()[0]
        key = issue_key(db, person_id=person, purpose="vote", subject_ref=meeting.ref,
                        now=clerk_app.clock.now(), days=30)
    number = read(clerk_app, reply("carol.at.home@example.net", key, "I approve"))
    assert f'href="/inbox/{number}"' not in console(CHAIR).get("/inbox").text
    assert console(CHAIR).get(f"/inbox/{number}").status == 403
    page = console(FACILITATOR).get(f"/inbox/{number}")
    assert page.status == 200 and "Record this reply" not in page.text
    assert "Only an answer to an invitation can be attached by hand" in page.text
    refused = console(FACILITATOR).post(f"/inbox/{number}/attach",
                                        {"member": CAROL, "meeting": meeting.ref,
                                         "intent": "attend"})
    assert "Only an answer to an invitation" in refused.text
    assert reply_of(clerk_app, meeting, CAROL) == "no_reply"
