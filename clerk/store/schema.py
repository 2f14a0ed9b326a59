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
