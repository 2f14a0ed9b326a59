"""The schema, as a numbered series of sqlite-utils migrations. Never edit one that has shipped:
add a new one."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

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
