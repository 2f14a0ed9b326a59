"""Papers end to end, over the real test servers: the draft agenda goes to the Chair by SMTP, the
Chair's APPROVE comes back through Dovecot and the IMAP reader, and the papers reach every
address on the distribution list on their due working day, with the right attachments. Late
approval sends at once and marks the papers late; an unauthorised approver is refused; an
interrupted circulation finishes once after a restart."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from clerk.agenda.approval import ApproveAgenda, approve_agenda
from clerk.agenda.circulation import circulate_papers
from clerk.agenda.items import AddItem, add_item, send_draft
from clerk.agenda.papers import AddPaper, add_paper
from clerk.app import Clerk
from clerk.attendance.invitations import invite
from clerk.attendance.replies import RecordReply, record_reply
from clerk.clock import FakeClock
from clerk.mail_in.message import InboundOutcome
from clerk.outbox import delivery
from clerk.records.views import meeting_view
from clerk.store import open_store
from mail.imap_reader import ImapReader
from mail.ingest import ingest
from mail.sender import send_outbox
from mail.transport import SmtpTransport
from scheduler.keeper import DeadlineKeeper
from tests.papers_helpers import (
    CHAIR,
    FACILITATOR,
    IMAP_PASSWORD_ENV,
    MEMBER,
    VICE_CHAIR,
    agenda_now,
    at,
    attachments,
    carers_emails,
    carers_meeting,
    make_app,
    parsed,
    pdf,
    per_recipient,
    reply,
    text_of,
)
from tests.servers import Dovecot, SmtpSink

EXTRA = "scrutiny.officer@worcs.example.org"
SUBSTITUTE = "zoe.zed@example.org"


def _approval_count(app: Clerk, outcome: str) -> int:
    row = app.store.one("SELECT COUNT(*) AS n FROM agenda_approvals WHERE outcome = ?", [outcome])
    return int(row["n"]) if row else 0


def read_imap(app: Clerk) -> list[InboundOutcome]:
    """One pass of the real IMAP reader over Dovecot's INBOX."""
    async def once() -> list[InboundOutcome]:
        reader = ImapReader(app, use_idle=False)
        try:
            report = await reader.read_to_end()
        finally:
            await reader.close()
        return report.results

    return asyncio.run(once())


@pytest.fixture
def imap_app(clock: FakeClock, tmp_path: Path, smtp_sink: SmtpSink, dovecot: Dovecot,
             monkeypatch: pytest.MonkeyPatch) -> Clerk:
    """clerk sending to the SMTP sink and reading Dovecot's INBOX, with 1 MB of attachments
    per email and one extra address on the Carers Partnership's distribution list."""
    dovecot.clear("clerk")
    monkeypatch.setenv(IMAP_PASSWORD_ENV, dovecot.user_password("clerk"))
    return make_app(clock, tmp_path, smtp=smtp_sink, imap_port=dovecot.imap_port,
                    carers={"attachment_limit_mb": 1, "distribution_extra": [EXTRA]})


def test_chair_approves_by_email_and_papers_arrive_on_the_due_working_day(
        imap_app: Clerk, smtp_sink: SmtpSink, dovecot: Dovecot, clock: FakeClock) -> None:
    app = imap_app
    meeting = carers_meeting(app)
    # Carol sends a named substitute, who accepts: the substitute gets the papers too.
    record_reply(app, RecordReply(meeting.ref, MEMBER, "substitute", substitute_email=SUBSTITUTE,
                                  substitute_name="Zoe Zed"))
    record_reply(app, RecordReply(meeting.ref, SUBSTITUTE, "attend"))
    report = pdf("Carers strategy refresh.pdf", 600_000, seed=1)
    budget = pdf("Budget 2027-28.pdf", 700_000, seed=2)  # with the first, over 1 MB: separate
    add_item(app, AddItem(meeting.ref, "Carers' Strategy refresh", lead=MEMBER,
                          papers=(report, budget)))
    assert send_draft(app, meeting.ref).sent_to == (CHAIR,)
    send_outbox(app)
    [draft] = smtp_sink.messages_to(CHAIR)
    assert draft["Subject"].startswith("Draft agenda to approve: Carers Partnership")
    assert "3. Carers' Strategy refresh (lead: Carol Chowdhury)" in text_of(draft)
    assert "APPROVE" in text_of(draft)
    smtp_sink.clear()

    # The Chair answers APPROVE from her mail client; clerk reads it from the IMAP inbox.
    dovecot.append("clerk", reply(draft, CHAIR, "APPROVE\n\nAlice", clock))
    [result] = read_imap(app)
    assert result.status == "processed", result.reason
    agenda = agenda_now(app, meeting.ref)
    assert agenda.approved and CHAIR in agenda.approved_by
    row = app.store.one("SELECT agenda_approved_at, papers_sent_at FROM meetings WHERE id = ?",
                        [meeting.id])
    assert row == {"agenda_approved_at": clock.now().isoformat(), "papers_sent_at": None}
    send_outbox(app)
    [thanks] = smtp_sink.messages_to(CHAIR)
    assert thanks["Subject"].startswith("Agenda approved")
    assert "on their due day" in text_of(thanks)
    smtp_sink.clear()

    # Nothing goes before the due day; at 09:00 on Tuesday 5 January the papers go.
    keeper = DeadlineKeeper(app)
    clock.set(at(app, "2027-01-04 17:00"))
    keeper.run_due()
    send_outbox(app)
    assert per_recipient(smtp_sink, "Papers") == Counter()
    clock.set(at(app, "2027-01-05 09:00"))
    ran = {r.job.kind: r.outcome for r in keeper.run_due()}
    assert ran["papers-due"].startswith("papers circulated to 22 people")
    send_outbox(app)

    everyone = [*carers_emails(), SUBSTITUTE, EXTRA]
    assert per_recipient(smtp_sink, "Papers: Carers Partnership") == Counter(
        dict.fromkeys(everyone, 1))
    assert per_recipient(smtp_sink, "Paper for item 3: Budget") == Counter(
        dict.fromkeys(everyone, 1))
    for email in everyone:
        msgs = smtp_sink.messages_to(email)
        [main] = [m for m in msgs if m["Subject"].startswith("Papers:")]
        [separate] = [m for m in msgs if m["Subject"].startswith("Paper for item 3")]
        assert attachments(main) == {report.filename: report.content}
        assert attachments(separate) == {budget.filename: budget.content}
        assert "late" not in main["Subject"].lower()
        text = text_of(main)
        assert "I declare an interest in item" in text
        assert "Budget 2027-28.pdf (sent in a separate email)" in text
        assert main["Reply-To"].startswith("clerk+")
    substitute_papers = [m for m in smtp_sink.messages_to(SUBSTITUTE)
                         if m["Subject"].startswith("Papers:")]
    assert "as the substitute for Carol Chowdhury" in text_of(substitute_papers[0])
    # The pack was encoded once for everyone: one shared body per distinct pack.
    bodies = app.store.one("SELECT COUNT(*) AS n FROM outbox_bodies")
    assert bodies == {"n": 2}
    record = meeting_view(app, meeting.ref)["papers"]
    [circ] = record["circulations"]
    assert (circ["kind"], circ["late"], circ["recipients"]) == ("papers", False, 22)
    assert record["agenda"]["approved"] is True
    ran = {r.job.kind: r.outcome for r in DeadlineKeeper(app).run_due()}
    clock.set(at(app, "2027-01-05 17:00"))
    ran = {r.job.kind: r.outcome for r in keeper.run_due()}
    assert ran["papers-overdue"] == "papers went out in time"


def test_late_approval_sends_at_once_and_marks_the_papers_late(
        clock: FakeClock, tmp_path: Path, smtp_sink: SmtpSink) -> None:
    app = make_app(clock, tmp_path, smtp=smtp_sink)
    meeting = carers_meeting(app)
    add_item(app, AddItem(meeting.ref, "Young carers' assessments",
                          papers=(pdf("Assessments.pdf", 50_000),)))
    send_draft(app, meeting.ref)
    clock.set(at(app, "2027-01-05 17:00"))  # the warning: the papers have not gone out
    ran = {r.job.kind: r.outcome for r in DeadlineKeeper(app).run_due()}
    assert ran["papers-due"].startswith("not sent: the Chair has not approved the agenda")
    assert ran["papers-overdue"] == "warned the facilitator that the papers have not gone out"

    clock.set(at(app, "2027-01-07 11:30"))  # Thursday: two days late
    outcome = approve_agenda(app, ApproveAgenda(meeting.ref, CHAIR, channel="chat",
                                                evidence={"telegram_update": 4711}))
    assert outcome.status == "approved" and outcome.circulated
    smtp_sink.clear()
    send_outbox(app)
    assert per_recipient(smtp_sink, "LATE: Papers") == Counter(dict.fromkeys(carers_emails(), 1))
    [msg] = [m for m in smtp_sink.messages_to(MEMBER) if m["Subject"].startswith("LATE")]
    assert "these papers are late" in text_of(msg).lower()
    assert "They were due by Tuesday 5 January 2027" in text_of(msg)
    circ = app.store.one("SELECT late, timing, due_on FROM circulations")
    assert circ is not None and circ["late"] == 1 and circ["due_on"] == "2027-01-05"
    assert "2 days after they were due" in circ["timing"]
    assert meeting_view(app, meeting.ref)["papers"]["papers_late"] is True
    event = app.store.one("SELECT channel, evidence FROM audit WHERE action = 'agenda.approve'")
    assert event is not None and event["channel"] == "chat" and "4711" in event["evidence"]


def test_an_unauthorised_approver_is_refused(clock: FakeClock, tmp_path: Path,
                                            smtp_sink: SmtpSink) -> None:
    app = make_app(clock, tmp_path, smtp=smtp_sink)
    meeting = carers_meeting(app)
    add_item(app, AddItem(meeting.ref, "Carers' Week"))
    send_draft(app, meeting.ref)
    send_outbox(app)
    [draft] = smtp_sink.messages_to(CHAIR)

    # The Vice-Chair (the Carers Partnership does not let them approve), through the bot or CLI:
    outcome = approve_agenda(app, ApproveAgenda(meeting.ref, VICE_CHAIR, channel="chat"))
    assert outcome.status == "refused"
    assert outcome.message == ("only the Chair may agree the agenda of Carers Partnership; the "
                               "Vice-Chair may not")
    # A member answering the Chair's draft forwarded to them: refused by the inbound checks.
    result = ingest(app, reply(draft, MEMBER, "APPROVE", clock), source="test")
    assert result.status == "refused"
    # A stranger with no key at all: refused too.
    assert not agenda_now(app, meeting.ref).approved
    assert _approval_count(app, "refused") == 1
    assert app.store.one("SELECT agenda_approved_at FROM meetings") == {"agenda_approved_at": None}
    assert app.store.one("SELECT COUNT(*) AS n FROM audit WHERE action = "
                         "'agenda.approve_refused'") == {"n": 1}

    # Where the body allows it (the JCB), the Vice-Chair may approve.
    from clerk.meetings.schedule import AddMeeting, add_meeting
    from clerk.times import parse_local

    jcb = add_meeting(app, AddMeeting("cypsp-jcb", parse_local("2027-01-20 14:00", app.tz)))
    add_item(app, AddItem(jcb.ref, "Joint commissioning plan"))
    vice = app.store.one("SELECT p.email FROM memberships m JOIN people p ON p.id = m.person_id "
                         "WHERE m.body = 'cypsp-jcb' AND m.office = 'vice_chair'")
    assert vice is not None
    assert approve_agenda(app, ApproveAgenda(jcb.ref, vice["email"])).status == "approved"


def test_chair_asks_for_changes_and_a_changed_agenda_asks_again(
        clock: FakeClock, tmp_path: Path, smtp_sink: SmtpSink) -> None:
    app = make_app(clock, tmp_path, smtp=smtp_sink)
    meeting = carers_meeting(app)
    add_item(app, AddItem(meeting.ref, "Carers' Week"))
    send_draft(app, meeting.ref)
    send_outbox(app)
    [draft] = smtp_sink.messages_to(CHAIR)
    smtp_sink.clear()

    result = ingest(app, reply(draft, CHAIR, "Fine, but please add the hospital discharge "
                               "update as item 4.", clock), source="test")
    assert result.status == "processed" and "passed to the facilitator" in result.action
    send_outbox(app)
    [forwarded] = smtp_sink.messages_to(FACILITATOR)
    assert "hospital discharge update" in text_of(forwarded)
    assert CHAIR in text_of(forwarded)
    assert not agenda_now(app, meeting.ref).approved
    smtp_sink.clear()

    add_item(app, AddItem(meeting.ref, "Hospital discharge update"))  # asks again
    send_outbox(app)
    [new_draft] = smtp_sink.messages_to(CHAIR)
    assert new_draft["Subject"].startswith("Changed agenda to approve")
    # APPROVE to the old draft does not approve the new agenda...
    old = ingest(app, reply(draft, CHAIR, "APPROVE", clock), source="test")
    assert "has changed since the draft you answered" in old.action
    assert not agenda_now(app, meeting.ref).approved
    # ...the answer to the new one does; changing it afterwards withdraws the approval.
    ingest(app, reply(new_draft, CHAIR, "Approved, thanks", clock), source="test")
    assert agenda_now(app, meeting.ref).approved
    add_item(app, AddItem(meeting.ref, "Any other business"))
    agenda = agenda_now(app, meeting.ref)
    assert not agenda.approved and agenda.sent_version == agenda.version
    assert app.store.one("SELECT agenda_approved_at FROM meetings") == {"agenda_approved_at": None}


def test_a_paper_added_after_circulation_goes_as_a_supplement(
        clock: FakeClock, tmp_path: Path, smtp_sink: SmtpSink) -> None:
    app = make_app(clock, tmp_path, smtp=smtp_sink)
    meeting = carers_meeting(app)
    first = pdf("Action log.pdf", 20_000, seed=3)
    add_item(app, AddItem(meeting.ref, "Action log", papers=(first,)))
    approve_agenda(app, ApproveAgenda(meeting.ref, CHAIR))
    clock.set(at(app, "2027-01-05 09:00"))
    circulate_papers(app, meeting.ref, actor="scheduler", channel="scheduler")
    send_outbox(app)
    smtp_sink.clear()

    late_paper = pdf("Action log update.pdf", 30_000, seed=4)
    added = add_paper(app, AddPaper(meeting.ref, 3, late_paper))
    assert added.supplement.startswith("supplement 1 to the papers circulated to 20 people")
    assert add_paper(app, AddPaper(meeting.ref, 3, late_paper)).status == "same"
    send_outbox(app)
    assert per_recipient(smtp_sink) == Counter(dict.fromkeys(carers_emails(), 1))
    msg = smtp_sink.messages_to(MEMBER)[0]
    assert msg["Subject"].startswith("Supplement 1 to the papers")
    assert attachments(msg) == {late_paper.filename: late_paper.content}
    assert "Action log.pdf (sent earlier)" in text_of(msg)


def test_an_interrupted_circulation_finishes_once_after_a_restart(
        clock: FakeClock, tmp_path: Path, smtp_sink: SmtpSink,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """60 recipients; clerk dies after handing 30 to the server. After a restart, the other 30
    go, and nobody gets the papers twice."""
    extra = [f"partner{n:02d}@partners.example.org" for n in range(40)]
    database = tmp_path / "clerk.db"
    app = make_app(clock, tmp_path, smtp=smtp_sink, database=database,
                   carers={"distribution_extra": extra})
    meeting = carers_meeting(app)
    paper = pdf("Annual report.pdf", 200_000)
    add_item(app, AddItem(meeting.ref, "Annual report", papers=(paper,)))
    approve_agenda(app, ApproveAgenda(meeting.ref, CHAIR))
    clock.set(at(app, "2027-01-05 09:00"))
    assert circulate_papers(app, meeting.ref).circulation_id is not None

    real_send = SmtpTransport.send
    handed = 0

    async def dies_after_30(self: SmtpTransport, raw: bytes, sender: str, recipient: str) -> None:
        nonlocal handed
        if handed == 30:
            raise SystemExit("power cut")
        handed += 1
        await real_send(self, raw, sender, recipient)

    monkeypatch.setattr(SmtpTransport, "send", dies_after_30)
    with pytest.raises(SystemExit):
        send_outbox(app)
    monkeypatch.undo()
    app.store.close()
    assert len(smtp_sink.received) == 30

    restarted = Clerk(config=app.config, store=open_store(database), clock=clock)
    clock.advance(delivery.LEASE + timedelta(seconds=1))
    report = send_outbox(restarted)
    assert (report.sent, report.recovered) == (30, 1)
    everyone = [*carers_emails(), *extra]
    assert len(everyone) == 60
    assert per_recipient(smtp_sink) == Counter(dict.fromkeys(everyone, 1))
    assert send_outbox(restarted).sent == 0
    for msg in (m.parsed() for m in smtp_sink.received):
        assert attachments(msg) == {paper.filename: paper.content}
    restarted.store.close()


def test_a_declaration_of_interest_by_reply_is_recorded_against_the_item(
        clock: FakeClock, tmp_path: Path, smtp_sink: SmtpSink) -> None:
    app = make_app(clock, tmp_path, smtp=smtp_sink)
    meeting = carers_meeting(app)
    add_item(app, AddItem(meeting.ref, "Carers' grants 2027", papers=(pdf("Grants.pdf", 9000),)))
    approve_agenda(app, ApproveAgenda(meeting.ref, CHAIR))
    clock.set(at(app, "2027-01-05 09:00"))
    circulate_papers(app, meeting.ref, actor="scheduler", channel="scheduler")
    send_outbox(app)
    [papers] = smtp_sink.messages_to(MEMBER)
    smtp_sink.clear()

    result = ingest(app, reply(papers, MEMBER, "I declare an interest in item 3 as a trustee of "
                               "the Worcester Carers' Trust, which has applied.", clock),
                    source="test")
    assert result.status == "processed" and "item 3" in result.action
    again = ingest(app, reply(papers, MEMBER, "Nothing to declare.", clock), source="test")
    assert again.status == "processed"
    send_outbox(app)
    [receipt] = smtp_sink.messages_to(MEMBER)
    assert receipt["Subject"].startswith("Declaration of interest recorded")
    assert "Item 3, Carers' grants 2027: a trustee of the Worcester Carers' Trust" \
        in text_of(receipt)
    [declared] = meeting_view(app, meeting.ref)["papers"]["declarations"]
    assert (declared["item"], declared["email"], declared["channel"]) == (3, MEMBER, "email")
    assert declared["interest"] == "a trustee of the Worcester Carers' Trust, which has applied"

    question = ingest(app, reply(papers, MEMBER, "Where is the venue map?", clock), source="test")
    assert question.action == "passed to the facilitator"


def test_a_declaration_made_in_an_answer_to_the_invitation_is_recorded_too(
        clock: FakeClock, tmp_path: Path, smtp_sink: SmtpSink) -> None:
    app = make_app(clock, tmp_path, smtp=smtp_sink)
    meeting = carers_meeting(app)
    invite(app, meeting.ref)
    add_item(app, AddItem(meeting.ref, "Carers' grants 2027", papers=(pdf("Grants.pdf", 9000),)))
    approve_agenda(app, ApproveAgenda(meeting.ref, CHAIR))
    clock.set(at(app, "2027-01-05 09:00"))
    circulate_papers(app, meeting.ref, actor="scheduler", channel="scheduler")
    send_outbox(app)
    [invitation] = [m for m in smtp_sink.messages_to(MEMBER)
                    if m["Subject"].startswith("Invitation")]
    smtp_sink.clear()

    result = ingest(app, reply(invitation, MEMBER, "Yes, I will be there. I declare an interest "
                               "in item 3 as a trustee of the Worcester Carers' Trust.", clock),
                    source="test")
    assert result.status == "processed"
    assert "recorded: attending" in result.action
    assert "declaration of interest recorded (item 3)" in result.action
    [declared] = meeting_view(app, meeting.ref)["papers"]["declarations"]
    assert (declared["item"], declared["email"]) == (3, MEMBER)
    send_outbox(app)
    [confirmation] = smtp_sink.messages_to(MEMBER)
    assert "we have you down as attending" in text_of(confirmation)
    assert "We have also recorded your declaration of interest:\n  Item 3, Carers' grants 2027: " \
        "a trustee of the Worcester Carers' Trust" in text_of(confirmation).replace("\r\n", "\n")


def test_messages_share_one_encoded_pack(clock: FakeClock, tmp_path: Path) -> None:
    """Each outbox row keeps only its own head; the pack is stored once and sent byte for byte."""
    app = make_app(clock, tmp_path)
    meeting = carers_meeting(app)
    paper = pdf("Big pack.pdf", 2_000_000)
    add_item(app, AddItem(meeting.ref, "Performance report", papers=(paper,)))
    approve_agenda(app, ApproveAgenda(meeting.ref, CHAIR))
    clock.set(at(app, "2027-01-05 09:00"))
    circulate_papers(app, meeting.ref, actor="scheduler", channel="scheduler")
    sizes = app.store.one("SELECT MAX(LENGTH(raw)) AS head, COUNT(*) AS n FROM outbox "
                          "WHERE kind = 'papers'")
    assert sizes is not None and sizes["n"] == 20 and sizes["head"] < 20_000
    claim = delivery.claim_next(app)
    while claim is not None and claim.kind != "papers":
        delivery.mark_sent(app, claim.id)
        claim = delivery.claim_next(app)
    assert claim is not None
    msg = parsed(claim.raw)
    assert attachments(msg) == {paper.filename: paper.content}
    assert msg.get_content_type() == "multipart/mixed"
    assert "Dear " in text_of(msg)
