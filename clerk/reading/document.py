"""The text of a document someone gave clerk (the minutes, say), as far as clerk can read it:
plain text and Markdown (UTF-8, else Windows-1252), and Word ``.docx`` (the paragraphs of its
``word/document.xml``). PDF and anything else are not read: :data:`DocumentCode` says so, and the
facilitator adds what they hold by hand."""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Literal

DocumentCode = Literal["text", "docx", "pdf", "unreadable"]
"""Which reading was used: ``text`` and ``docx`` give text; ``pdf`` and ``unreadable`` none."""

_TEXT = (".txt", ".md", ".markdown", ".text", "")
_PARAGRAPH_END = re.compile(r"</w:p>|<w:br\s*/>|<w:cr\s*/>")
_TAB = re.compile(r"<w:tab\s*/>")
_TAG = re.compile(r"<[^>]+>")
_MAX_XML = 20 * 1024 * 1024


@dataclass(frozen=True)
class DocumentText:
    code: DocumentCode
    text: str = ""

    @property
    def read(self) -> bool:
        return self.code in ("text", "docx")


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _docx(content: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > _MAX_XML:
                return None
            xml = archive.read(info).decode("utf-8", errors="replace")
    except (zipfile.BadZipFile, KeyError, OSError):
        return None
    xml = _TAB.sub("\t", _PARAGRAPH_END.sub("\n", xml))
    return html.unescape(_TAG.sub("", xml))


def document_text(filename: str, content: bytes) -> DocumentText:
    """What text clerk can read of ``content`` (named ``filename``)."""
    name = filename.lower()
    suffix = name[name.rfind("."):] if "." in name else ""
    if content.startswith(b"%PDF") or suffix == ".pdf":
        return DocumentText("pdf")
    if suffix == ".docx" or content.startswith(b"PK\x03\x04"):
        text = _docx(content)
        return DocumentText("docx", text) if text is not None else DocumentText("unreadable")
    if suffix in _TEXT and b"\x00" not in content[:4096]:
        return DocumentText("text", _decode(content))
    return DocumentText("unreadable")
