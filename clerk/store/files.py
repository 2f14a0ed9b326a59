"""File contents (papers, minutes) kept in the database once each, by SHA-256.

Keeping them in SQLite puts a paper and the record that names it in one transaction (nothing half
written after a crash), keeps a backup to one file, and lets the hash show any later change.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from clerk.errors import BadInput, NotFound
from clerk.times import to_iso

MAX_FILE_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class FileUpload:
    """A file as given by a person: its name and its bytes."""

    filename: str
    content: bytes


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def store_file(db: Database, upload: FileUpload, now: datetime) -> str:
    """Keep the bytes (once, however often they are given); returns their SHA-256."""
    if not upload.content:
        raise BadInput(f"{upload.filename} is empty")
    if len(upload.content) > MAX_FILE_BYTES:
        raise BadInput(f"{upload.filename} is larger than {MAX_FILE_BYTES // 1_000_000} MB")
    digest = sha256_of(upload.content)
    db.execute("INSERT OR IGNORE INTO files (sha256, size, content, stored_at) VALUES (?, ?, ?, ?)",
               [digest, len(upload.content), upload.content, to_iso(now)])
    return digest


def read_file(db: Database, sha256: str) -> bytes:
    row = db.execute("SELECT content FROM files WHERE sha256 = ?", [sha256]).fetchone()
    if row is None:
        raise NotFound(f"no file with SHA-256 {sha256} is stored")
    return bytes(row[0])


def content_type(filename: str) -> tuple[str, str]:
    """(maintype, subtype) guessed from the file name; unknown files are octet streams."""
    guessed, _ = mimetypes.guess_type(filename)
    if not guessed or "/" not in guessed:
        return "application", "octet-stream"
    main, sub = guessed.split("/", 1)
    return main, sub


def clean_filename(name: str) -> str:
    """The file's own name without folders, as shown to people."""
    base = re.split(r"[\\/]", name.strip())[-1].strip()
    if not base or base in {".", ".."}:
        raise BadInput(f'"{name}" is not a file name')
    return base


def safe_filename(name: str) -> str:
    """A name safe for a web server and any file system: ASCII letters, digits, ``.-_``."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem, dot, ext = text.rpartition(".")
    if not dot:
        stem, ext = text, ""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-").lower() or "file"
    ext = re.sub(r"[^A-Za-z0-9]+", "", ext).lower()
    return f"{stem}.{ext}" if ext else stem
