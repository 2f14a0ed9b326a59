"""The schema, as a numbered series of sqlite-utils migrations. Never edit one that has shipped:
add a new one."""

from __future__ import annotations

import re
import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from clerk.store.rows import execute, fetch_all

#: What becomes of an outbox row: queued, being sent, sent, given up, or replaced by a newer message.
OUTBOX_STATUSES = ("queued", "sending", "sent", "failed", "superseded")

migrations = Migrations("clerk")


def run_script(db: Database, script: str) -> None:
    """Run each statement of ``script`` inside the migration's transaction.

    (``executescript`` would commit first, so a failing migration could not roll back.)
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in migration: {statement!r}")


@migrations()
def m001_foundation(db: Database) -> None:
    """Bodies, people, memberships, substitutes, meetings, invitations, attendance, decisions, audit."""
    run_script(
        db,
        """
        CREATE TABLE bodies (
            slug TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            loaded_at TEXT NOT NULL
        );
        CREATE TABLE people (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            undeliverable TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE memberships (
            id INTEGER PRIMARY KEY,
            body TEXT NOT NULL REFERENCES bodies(slug),
            person_id INTEGER NOT NULL REFERENCES people(id),
            role TEXT NOT NULL DEFAULT 'member',
            office TEXT NOT NULL DEFAULT '',
            organisation TEXT NOT NULL DEFAULT '',
            sector TEXT NOT NULL DEFAULT '',
            carer INTEGER NOT NULL DEFAULT 0,
            voting INTEGER NOT NULL DEFAULT 1,
            advisory INTEGER NOT NULL DEFAULT 0,
            active INTEGER NOT NULL DEFAULT 1,
            updated_at TEXT NOT NULL,
            UNIQUE (body, person_id)
        );
        CREATE TABLE named_substitutes (
            id INTEGER PRIMARY KEY,
            body TEXT NOT NULL REFERENCES bodies(slug),
            member_id INTEGER NOT NULL REFERENCES people(id),
            substitute_id INTEGER NOT NULL REFERENCES people(id),
            UNIQUE (body, member_id, substitute_id)
        );
        CREATE TABLE meetings (
            id INTEGER PRIMARY KEY,
            ref TEXT NOT NULL UNIQUE,
            body TEXT NOT NULL REFERENCES bodies(slug),
            starts_at TEXT NOT NULL,
            venue TEXT NOT NULL DEFAULT '',
            online_url TEXT NOT NULL DEFAULT '',
            kind TEXT NOT NULL DEFAULT 'ordinary',
            status TEXT NOT NULL DEFAULT 'scheduled',
            sequence INTEGER NOT NULL DEFAULT 0,
            uid TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX meetings_by_body ON meetings(body, starts_at);
        CREATE TABLE invitations (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            person_id INTEGER NOT NULL REFERENCES people(id),
            stands_for INTEGER REFERENCES people(id),
            reply TEXT NOT NULL DEFAULT 'no_reply',
            substitute_id INTEGER REFERENCES people(id),
            replied_at TEXT,
            channel TEXT,
            evidence TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (meeting_id, person_id)
        );
        CREATE TABLE attendance (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            member_id INTEGER NOT NULL REFERENCES people(id),
            status TEXT NOT NULL,
            present_by INTEGER REFERENCES people(id),
            recorded_at TEXT NOT NULL,
            UNIQUE (meeting_id, member_id)
        );
        CREATE TABLE decisions (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            number INTEGER NOT NULL,
            text TEXT NOT NULL,
            status TEXT NOT NULL,
            status_reason TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            UNIQUE (meeting_id, number)
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL,
            channel TEXT NOT NULL,
            evidence TEXT NOT NULL DEFAULT '{}',
            detail TEXT NOT NULL DEFAULT '{}',
            idempotency_key TEXT UNIQUE,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE INDEX audit_by_subject ON audit(subject);
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """
    )


@migrations()
def m002_mail(db: Database) -> None:
    """Reply keys, the outbox queue, and every inbound message kept raw with what became of it."""
    run_script(
        db,
        """
        CREATE TABLE reply_keys (
            key TEXT PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES people(id),
            purpose TEXT NOT NULL,
            subject_ref TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            last_used_at TEXT,
            uses INTEGER NOT NULL DEFAULT 0,
            revoked INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX reply_keys_by_subject ON reply_keys(purpose, subject_ref, person_id);
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            kind TEXT NOT NULL,
            subject_ref TEXT NOT NULL DEFAULT '',
            person_id INTEGER REFERENCES people(id),
            to_addr TEXT NOT NULL,
            subject TEXT NOT NULL,
            message_id TEXT NOT NULL UNIQUE,
            dedupe_key TEXT UNIQUE,
            raw BLOB NOT NULL,
            status TEXT NOT NULL DEFAULT 'queued',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_error TEXT NOT NULL DEFAULT '',
            sent_at TEXT
        );
        CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
        CREATE INDEX outbox_by_recipient ON outbox(to_addr, kind, created_at);
        CREATE TABLE inbound (
            id INTEGER PRIMARY KEY,
            message_key TEXT NOT NULL UNIQUE,
            message_id TEXT NOT NULL DEFAULT '',
            raw_sha256 TEXT NOT NULL,
            source TEXT NOT NULL,
            uidvalidity INTEGER,
            uid INTEGER,
            received_at TEXT NOT NULL,
            from_addr TEXT NOT NULL DEFAULT '',
            subject TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL,
            understood TEXT NOT NULL DEFAULT '',
            action TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL DEFAULT '',
            raw BLOB NOT NULL,
            processed_at TEXT NOT NULL
        );
        CREATE INDEX inbound_by_uid ON inbound(source, uidvalidity, uid);
        """,
    )


@migrations()
def m003_deadlines(db: Database) -> None:
    """What each deadline job did, and the meeting milestones the deadlines check."""
    run_script(
        db,
        """
        CREATE TABLE job_runs (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            subject_ref TEXT NOT NULL,
            due_at TEXT NOT NULL,
            ran_at TEXT NOT NULL,
            outcome TEXT NOT NULL
        );
        ALTER TABLE meetings ADD COLUMN agenda_approved_at TEXT;
        ALTER TABLE meetings ADD COLUMN papers_sent_at TEXT;
        ALTER TABLE meetings ADD COLUMN minutes_circulated_at TEXT;
        """,
    )


@migrations()
def m004_ballots(db: Database) -> None:
    """Email ballots on decisions taken while inquorate: the frozen electorate and every vote."""
    run_script(
        db,
        """
        CREATE TABLE ballots (
            id INTEGER PRIMARY KEY,
            ref TEXT NOT NULL UNIQUE,
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            opened_at TEXT NOT NULL,
            closes_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open',
            closed_at TEXT,
            result TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE ballot_decisions (
            ballot_id INTEGER NOT NULL REFERENCES ballots(id),
            decision_id INTEGER NOT NULL UNIQUE REFERENCES decisions(id),
            number INTEGER NOT NULL,
            PRIMARY KEY (ballot_id, number)
        );
        CREATE TABLE electorate (
            ballot_id INTEGER NOT NULL REFERENCES ballots(id),
            person_id INTEGER NOT NULL REFERENCES people(id),
            seat TEXT NOT NULL,
            PRIMARY KEY (ballot_id, person_id)
        );
        CREATE TABLE votes (
            id INTEGER PRIMARY KEY,
            ballot_id INTEGER NOT NULL REFERENCES ballots(id),
            person_id INTEGER NOT NULL REFERENCES people(id),
            choices TEXT NOT NULL,
            received_at TEXT NOT NULL,
            channel TEXT NOT NULL,
            evidence TEXT NOT NULL DEFAULT '{}',
            receipt TEXT NOT NULL UNIQUE,
            idempotency_key TEXT UNIQUE,
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX votes_by_voter ON votes(ballot_id, person_id, received_at);
        """,
    )


@migrations()
def m005_papers(db: Database) -> None:
    """Agendas, papers (file contents kept once, by SHA-256), the Chair's approvals, circulations
    with a row per recipient, declarations of interest, minutes; and shared outbox bodies, so a
    paper pack sent to many people is stored once and each outbox row keeps only its own head."""
    run_script(
        db,
        """
        CREATE TABLE files (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            content BLOB NOT NULL,
            stored_at TEXT NOT NULL
        );
        CREATE TABLE agendas (
            meeting_id INTEGER PRIMARY KEY REFERENCES meetings(id),
            version INTEGER NOT NULL DEFAULT 1,
            sent_version INTEGER,
            approved_version INTEGER,
            approved_by INTEGER REFERENCES people(id),
            approved_at TEXT,
            approved_channel TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL
        );
        CREATE TABLE agenda_items (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            sort_key INTEGER NOT NULL,
            kind TEXT NOT NULL DEFAULT 'item',
            title TEXT NOT NULL,
            lead TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            UNIQUE (meeting_id, kind, source)
        );
        CREATE INDEX agenda_items_by_meeting ON agenda_items(meeting_id, sort_key);
        CREATE TABLE agenda_approvals (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            version INTEGER NOT NULL,
            agenda_sha256 TEXT NOT NULL,
            outcome TEXT NOT NULL,
            person_id INTEGER REFERENCES people(id),
            email TEXT NOT NULL,
            channel TEXT NOT NULL,
            evidence TEXT NOT NULL DEFAULT '{}',
            reason TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL
        );
        CREATE TABLE papers (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            item_id INTEGER NOT NULL REFERENCES agenda_items(id),
            filename TEXT NOT NULL,
            content_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL REFERENCES files(sha256),
            status TEXT NOT NULL DEFAULT 'current',
            added_at TEXT NOT NULL,
            circulation_id INTEGER REFERENCES circulations(id)
        );
        CREATE INDEX papers_by_meeting ON papers(meeting_id, item_id);
        CREATE TABLE outbox_bodies (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL UNIQUE,
            size INTEGER NOT NULL,
            body BLOB NOT NULL,
            created_at TEXT NOT NULL
        );
        ALTER TABLE outbox ADD COLUMN body_id INTEGER REFERENCES outbox_bodies(id);
        CREATE TABLE circulations (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            kind TEXT NOT NULL,
            number INTEGER NOT NULL,
            agenda_version INTEGER,
            due_on TEXT NOT NULL DEFAULT '',
            started_at TEXT NOT NULL,
            late INTEGER NOT NULL DEFAULT 0,
            timing TEXT NOT NULL DEFAULT '',
            actor TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}',
            UNIQUE (meeting_id, kind, number)
        );
        CREATE TABLE circulation_recipients (
            circulation_id INTEGER NOT NULL REFERENCES circulations(id),
            email TEXT NOT NULL,
            person_id INTEGER REFERENCES people(id),
            capacity TEXT NOT NULL,
            outbox_id INTEGER REFERENCES outbox(id),
            skipped TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (circulation_id, email)
        );
        CREATE TABLE declarations (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            item_id INTEGER NOT NULL REFERENCES agenda_items(id),
            person_id INTEGER NOT NULL REFERENCES people(id),
            interest TEXT NOT NULL,
            channel TEXT NOT NULL,
            evidence TEXT NOT NULL DEFAULT '{}',
            declared_at TEXT NOT NULL,
            UNIQUE (meeting_id, item_id, person_id, interest)
        );
        CREATE TABLE minutes (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            version INTEGER NOT NULL,
            filename TEXT NOT NULL,
            content_type TEXT NOT NULL,
            sha256 TEXT NOT NULL REFERENCES files(sha256),
            added_at TEXT NOT NULL,
            circulation_id INTEGER REFERENCES circulations(id),
            approved_at TEXT,
            approved_at_meeting TEXT NOT NULL DEFAULT '',
            approved_sha256 TEXT NOT NULL DEFAULT '',
            UNIQUE (meeting_id, version)
        );
        """,
    )


@migrations()
def m006_bot(db: Database) -> None:
    """The Telegram bot: observers' bookings and waiting list, one-time email codes, chats linked
    to members, observers' questions, and the chat messages waiting to be sent."""
    run_script(
        db,
        """
        CREATE TABLE chat_codes (
            id INTEGER PRIMARY KEY,
            purpose TEXT NOT NULL,
            chat_id INTEGER NOT NULL,
            email TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            meeting_id INTEGER REFERENCES meetings(id),
            salt TEXT NOT NULL,
            code_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'pending',
            used_at TEXT
        );
        CREATE INDEX chat_codes_by_chat ON chat_codes(chat_id, purpose, status);
        CREATE TABLE bookings (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            email TEXT NOT NULL,
            name TEXT NOT NULL,
            chat_id INTEGER,
            status TEXT NOT NULL,
            waiting_since TEXT,
            offer_expires_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            erased_at TEXT,
            idempotency_key TEXT UNIQUE,
            UNIQUE (meeting_id, email)
        );
        CREATE INDEX bookings_by_meeting ON bookings(meeting_id, status);
        CREATE INDEX bookings_by_chat ON bookings(chat_id);
        CREATE TABLE chat_links (
            chat_id INTEGER PRIMARY KEY,
            person_id INTEGER NOT NULL UNIQUE REFERENCES people(id),
            linked_at TEXT NOT NULL
        );
        CREATE TABLE questions (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            chat_id INTEGER,
            name TEXT NOT NULL,
            text TEXT NOT NULL,
            asked_at TEXT NOT NULL,
            erased_at TEXT,
            idempotency_key TEXT UNIQUE
        );
        CREATE TABLE chat_outbox (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            chat_id INTEGER NOT NULL,
            person_id INTEGER REFERENCES people(id),
            observer INTEGER NOT NULL DEFAULT 0,
            kind TEXT NOT NULL,
            subject_ref TEXT NOT NULL DEFAULT '',
            text TEXT,
            buttons TEXT NOT NULL DEFAULT '[]',
            dedupe_key TEXT UNIQUE,
            status TEXT NOT NULL DEFAULT 'queued',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_error TEXT NOT NULL DEFAULT '',
            telegram_message_id INTEGER,
            sent_at TEXT
        );
        CREATE INDEX chat_outbox_due ON chat_outbox(status, next_attempt_at);
        CREATE INDEX chat_outbox_by_subject ON chat_outbox(subject_ref);
        """,
    )


@migrations()
def m007_bot_conversations(db: Database) -> None:
    """Where each chat is in a bot conversation (a booking, a question, naming a substitute), so
    that a conversation survives a restart: the state only, keyed by conversation and chat."""
    run_script(
        db,
        """
        CREATE TABLE bot_conversations (
            name TEXT NOT NULL,
            key TEXT NOT NULL,
            state TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (name, key)
        );
        """,
    )


@migrations()
def m008_agenda_drafts_sent(db: Database) -> None:
    """Which version of the draft agenda each draft email carried, by its outbox row, so that a
    reply is matched to the version it answers through the Message-IDs it quotes. Drafts sent
    before this migration are filled in from their outbox rows (the version was in the dedupe
    key, ``agenda-draft:REF:vN:PERSON``)."""
    run_script(
        db,
        """
        CREATE TABLE agenda_drafts_sent (
            outbox_id INTEGER PRIMARY KEY REFERENCES outbox(id),
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            version INTEGER NOT NULL
        );
        """,
    )
    for row in fetch_all(db, "SELECT o.id AS outbox_id, o.dedupe_key, m.id AS meeting_id "
                             "FROM outbox o JOIN meetings m ON m.ref = o.subject_ref "
                             "WHERE o.kind = 'agenda_draft'"):
        found = re.fullmatch(r"agenda-draft:.*:v(\d+):\d+", row["dedupe_key"] or "")
        if found:
            execute(db, "INSERT INTO agenda_drafts_sent (outbox_id, meeting_id, version) "
                        "VALUES (?, ?, ?)", [row["outbox_id"], row["meeting_id"],
                                             int(found.group(1))])


@migrations()
def m009_membership_ended_on(db: Database) -> None:
    """The day a membership ended (``clerk members end``), as ``YYYY-MM-DD``; empty while it
    lasts. An ended membership stays in the records with ``active = 0``."""
    run_script(
        db,
        """
        ALTER TABLE memberships ADD COLUMN ended_on TEXT NOT NULL DEFAULT '';
        """,
    )


@migrations()
def m010_console_sign_in(db: Database) -> None:
    """The console's sign-in: one-time links emailed or printed (kept only as a hash, used once,
    expiring), the sessions they start (a hash of the cookie's token, an expiry, the CSRF token of
    their forms), and the key that signs the cookies, made here so that it never leaves the
    database (which only clerk can read)."""
    run_script(
        db,
        """
        CREATE TABLE console_links (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            email TEXT NOT NULL,
            client TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT
        );
        CREATE INDEX console_links_email ON console_links (email, created_at);
        CREATE INDEX console_links_client ON console_links (client, created_at);
        CREATE TABLE console_sessions (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            email TEXT NOT NULL,
            csrf TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            ended_at TEXT
        );
        CREATE TABLE console_key (id INTEGER PRIMARY KEY CHECK (id = 1), secret BLOB NOT NULL);
        INSERT INTO console_key (id, secret) VALUES (1, randomblob(32));
        """,
    )


@migrations()
def m011_inbound_by_status(db: Database) -> None:
    """Messages found by what became of them: the console's dashboard counts those in quarantine
    on every view, and its inbox lists those to review, without reading through every message
    kept (a year's replies are tens of thousands of rows, each with its raw bytes)."""
    run_script(
        db,
        """
        CREATE INDEX inbound_by_status ON inbound (status);
        """,
    )


@migrations()
def m013_actions(db: Database) -> None:
    """Action points agreed at a meeting: the text, the owner (a person clerk knows, or only a
    name until the facilitator gives an address), the due date (``YYYY-MM-DD``; the first one
    kept as ``first_due_on``), open or done (overdue is worked out, never stored), where the
    action came from (the minutes' line, or added by hand) and what could not be read of it; and
    every update (the owner's words, a new date, done), who gave it, when and by which channel."""
    run_script(
        db,
        """
        CREATE TABLE actions (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            body TEXT NOT NULL,
            text TEXT NOT NULL,
            owner_id INTEGER REFERENCES people(id),
            owner_name TEXT NOT NULL DEFAULT '',
            due_on TEXT NOT NULL DEFAULT '',
            first_due_on TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'open',
            source TEXT NOT NULL DEFAULT 'added',
            line TEXT NOT NULL DEFAULT '',
            problems TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            done_at TEXT
        );
        CREATE INDEX actions_by_meeting ON actions (meeting_id);
        CREATE INDEX actions_open ON actions (body, status, due_on);
        CREATE TABLE action_updates (
            id INTEGER PRIMARY KEY,
            action_id INTEGER NOT NULL REFERENCES actions(id),
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            channel TEXT NOT NULL,
            kind TEXT NOT NULL,
            said TEXT NOT NULL DEFAULT '',
            due_before TEXT NOT NULL DEFAULT '',
            due_after TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX action_updates_by_action ON action_updates (action_id, at);
        """,
    )


@migrations()
def m014_extraordinary(db: Database) -> None:
    """Requests for an extraordinary meeting: the body, who asked (and by which channel), the
    reason, the member named as supporter and whether they confirmed, the status (``awaiting_
    support``, ``declined``, ``called`` once the terms are met, ``held`` once a meeting is set for
    it, ``withdrawn``), when it became complete and the last day the meeting may be held; and a
    meeting's reason (why an extraordinary meeting is called, said in its invitation and on the site)."""
    run_script(
        db,
        """
        CREATE TABLE extraordinary_requests (
            id INTEGER PRIMARY KEY,
            ref TEXT NOT NULL UNIQUE,
            body TEXT NOT NULL,
            requested_by INTEGER NOT NULL REFERENCES people(id),
            reason TEXT NOT NULL DEFAULT '',
            supporter_id INTEGER REFERENCES people(id),
            supporter_name TEXT NOT NULL DEFAULT '',
            support TEXT NOT NULL DEFAULT 'awaiting',
            status TEXT NOT NULL,
            channel TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            message_key TEXT NOT NULL DEFAULT '',
            complete_at TEXT,
            hold_by TEXT NOT NULL DEFAULT '',
            meeting_id INTEGER REFERENCES meetings(id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX extraordinary_open ON extraordinary_requests (body, status);
        ALTER TABLE meetings ADD COLUMN reason TEXT NOT NULL DEFAULT '';
        """,
    )


@migrations()
def m015_referrals(db: Database) -> None:
    """Decisions a body could not resolve, referred to another body (its parent): which decision,
    to which body, the note given, who referred it and when. The referral is an item on the first
    coming agenda of that body still open to it (worked out, not stored)."""
    run_script(
        db,
        """
        CREATE TABLE referrals (
            id INTEGER PRIMARY KEY,
            decision_id INTEGER NOT NULL UNIQUE REFERENCES decisions(id),
            from_meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            to_body TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            referred_by TEXT NOT NULL,
            referred_at TEXT NOT NULL
        );
        CREATE INDEX referrals_to_body ON referrals (to_body, referred_at);
        """,
    )


@migrations()
def m017_elections(db: Database) -> None:
    """Elections with secret ballots: the election (body, office, seats, windows, when the result
    takes effect, the tie rule and the published seed), its candidates (nominated, seconded,
    confirmed), its electorate (fixed when voting opens), who has voted (``election_voters``) and
    what was voted (``election_ballots``). The two are never linked: a ballot has no voter, no
    time and no row order (WITHOUT ROWID, keyed by its random receipt code)."""
    run_script(
        db,
        """
        CREATE TABLE elections (
            id INTEGER PRIMARY KEY,
            ref TEXT NOT NULL UNIQUE,
            body TEXT NOT NULL,
            office TEXT NOT NULL,
            seats INTEGER NOT NULL DEFAULT 1,
            tie TEXT NOT NULL DEFAULT 'lot',
            status TEXT NOT NULL,
            nominations_close TEXT NOT NULL,
            voting_close TEXT NOT NULL,
            takes_effect TEXT NOT NULL DEFAULT '',
            seed TEXT NOT NULL,
            result TEXT NOT NULL DEFAULT '{}',
            offices_applied INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            closed_at TEXT
        );
        CREATE TABLE election_candidates (
            election_id INTEGER NOT NULL REFERENCES elections(id),
            person_id INTEGER NOT NULL REFERENCES people(id),
            nominated_by TEXT NOT NULL,
            seconded_by TEXT NOT NULL DEFAULT '',
            stands TEXT NOT NULL DEFAULT 'asked',
            PRIMARY KEY (election_id, person_id)
        ) WITHOUT ROWID;
        CREATE TABLE election_electorate (
            election_id INTEGER NOT NULL REFERENCES elections(id),
            person_id INTEGER NOT NULL REFERENCES people(id),
            PRIMARY KEY (election_id, person_id)
        ) WITHOUT ROWID;
        CREATE TABLE election_voters (
            election_id INTEGER NOT NULL REFERENCES elections(id),
            person_id INTEGER NOT NULL REFERENCES people(id),
            PRIMARY KEY (election_id, person_id)
        ) WITHOUT ROWID;
        CREATE TABLE election_ballots (
            receipt TEXT NOT NULL PRIMARY KEY,
            election_id INTEGER NOT NULL REFERENCES elections(id),
            choice_json TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    )


@migrations()
def m018_audit_subjects(db: Database) -> None:
    """An audit log that survives a person's erasure. Rows written from now on carry ``rule`` 2:
    their hash covers each email address they hold as the address's random pseudonym
    (``audit_subjects`` maps address -> pseudonym), so erasing a person rewrites the address to
    its pseudonym without changing the hash, and the mapping row is deleted. Rows written before
    (``rule`` 1, the switch point is the first row with rule 2) keep their hash as written; an
    erasure that has to change one (or a rule-2 row naming the person by name) lists it in the
    ``person.erased`` event and in ``audit_redactions`` (sealed), and only those rows may be
    updated, never their hashes."""
    run_script(
        db,
        """
        ALTER TABLE audit ADD COLUMN rule INTEGER NOT NULL DEFAULT 1;
        CREATE TABLE audit_subjects (
            address TEXT PRIMARY KEY,
            token TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
        CREATE TABLE audit_redactions (
            audit_id INTEGER PRIMARY KEY,
            erasure_id INTEGER NOT NULL,
            sealed INTEGER NOT NULL DEFAULT 0
        );
        DROP TRIGGER audit_no_update;
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
            WHEN NOT (OLD.id IN (SELECT audit_id FROM audit_redactions)
                      AND NEW.id = OLD.id AND NEW.hash = OLD.hash
                      AND NEW.prev_hash = OLD.prev_hash AND NEW.at = OLD.at
                      AND NEW.action = OLD.action AND NEW.rule = OLD.rule)
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """,
    )
