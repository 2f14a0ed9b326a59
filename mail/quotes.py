"""Cut quoted earlier messages and signatures out of a reply, keeping what the sender wrote now.

Pure string work, line by line with cheap prefix tests first, so it stays fast on
long quoted threads.  Also home of :func:`html_to_text` (stdlib ``html.parser``),
because HTML replies are cut at the client's reply separator before conversion.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_to_text", "strip_quoted"]

# --------------------------------------------------------------------------- HTML

_SKIP_TAGS = frozenset({"style", "script", "head", "title", "template", "xml"})
_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "tr",
        "li",
        "ul",
        "ol",
        "table",
        "blockquote",
        "pre",
        "hr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "dt",
        "dd",
        "dl",
        "section",
        "article",
        "header",
        "footer",
        "address",
        "center",
    }
)
_CELL_TAGS = frozenset({"td", "th"})
_WS_RUN = re.compile(r"[ \t\r\n\f\v]+")
_BLANK_RUNS = re.compile(r"\n{3,}")


def _is_indent(attrs: list[tuple[str, str | None]]) -> bool:
    """Gmail's and Outlook's "indent more" is a borderless <blockquote>: the writer's own text."""
    style = next((v for k, v in attrs if k == "style" and v), "").replace(" ", "").lower()
    return "border:none" in style


class _TextExtractor(HTMLParser):
    """Collect visible text; block boundaries and ``<br>`` become line breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.pre = 0
        self.quote = 0  # depth of quoting <blockquote>s: their lines come out prefixed with ">"
        self.blockquotes: list[bool] = []  # open <blockquote>s: a quote, or only an indent?
        self.line_start = True

    def _break(self, force: bool = False) -> None:
        if force or not self.line_start:
            self.parts.append("\n")
            self.line_start = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag == "body":
            self.skip = 0
        elif tag == "br":
            self._break(force=True)
        elif tag in _BLOCK_TAGS:
            self._break()
            self.pre += tag == "pre"
            if tag == "blockquote":
                quoting = not _is_indent(attrs)
                self.blockquotes.append(quoting)
                self.quote += quoting
        elif tag in _CELL_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK_TAGS:
            self._break()
            self.pre = max(0, self.pre - (tag == "pre"))
            if tag == "blockquote" and self.blockquotes:
                self.quote -= self.blockquotes.pop()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._break(force=True)
        elif tag in _BLOCK_TAGS:
            self._break()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if not self.pre:
            data = _WS_RUN.sub(" ", data)
            if self.line_start and not data.strip(" "):
                return
        if self.quote and self.line_start:
            data = ">" * self.quote + " " + data.lstrip(" ")
        self.parts.append(data)
        self.line_start = data.endswith("\n") if self.pre else False


def html_to_text(html: str) -> str:
    """Convert an HTML body to plain text (no styles/scripts, blocks on their own lines)."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient, but never let a body crash ingest
        pass
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [line.strip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


# Reply separators written by webmail and desktop clients, lower-cased.
_HTML_MARKERS = (
    "divrplyfwdmsg",  # Outlook (also x_divRplyFwdMsg once re-rendered)
    "appendonsend",  # Outlook on the web / new Outlook
    "border-top:solid #e1e1e1",  # Outlook desktop (Word HTML)
    "border-top: solid #e1e1e1",
    "border-top:solid #b5c4df",  # Outlook 2007-2010
    "gmail_quote",  # Gmail
    "moz-cite-prefix",  # Thunderbird
    "yahoo_quoted",  # Yahoo
    "stopspelling",  # Hotmail / Outlook.com legacy
    'type="cite"',  # Apple Mail, Thunderbird
    "type=cite",
)


def _cut_html(html: str) -> str | None:
    """Return the HTML before the earliest reply separator, or None if there is none."""
    lowered = html.lower()
    cut = -1
    for marker in _HTML_MARKERS:
        idx = lowered.find(marker)
        if idx != -1 and (cut == -1 or idx < cut):
            cut = idx
    if cut == -1:
        return None
    tag_start = lowered.rfind("<", 0, cut)
    return html[: tag_start if tag_start != -1 else cut]


# --------------------------------------------------------------------------- plain text

_ATTR_START = re.compile(r"(?:on|le|am|el|em|op|il|den|dne|w dniu|în)\s", re.IGNORECASE)
_ATTR_END = re.compile(
    r"(?:\b(?:wrote|a écrit|escribió|escreveu|ha scritto|napisał(?:a|\(a\))?|kirjoitti|írta"
    r"|написал[аи]?|пишет|пише|написав|написала)\s*:"
    r"|\b(?:schrieb|schreef|skrev|skrev følgende)\b.{0,200}:)\s*$",
    re.IGNORECASE,
)
_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_WHEN = re.compile(r"\d{1,2}:\d{2}|\b(?:19|20)\d{2}\b")
# Gmail's numeric forms: "2016-10-24 15:36 GMT+02:00 Name <addr>:" and "2025/3/4 Name <addr>"
_DATED_ADDRESS = re.compile(r"(?:19|20)\d{2}[/.-]\d{1,2}[/.-]\d{1,2}\b.{0,150}<[^<>\s]+@[^<>\s]+>\s*:?")
# mail.ru / Yandex and others: "... 9:12 +03:00 от Name <addr>:", "11.01.2027, 09:12, "Name" <addr>:"
_TIMED_ADDRESS = re.compile(r".{0,150}\b\d{1,2}:\d{2}\b.{0,150}<[^<>\s]+@[^<>\s]+>\s*:")
# Zoho: "---- On Mon, 11 Jan 2027 09:12:40 +0000 Name <addr> wrote ----"
_ZOHO = re.compile(r"-{2,}\s*(?:on\s.{0,250}\bwrote|.{0,250}\bschrieb)\s*-{2,}", re.IGNORECASE)
_CLIENT_SIGNATURE = re.compile(
    r"(?:sent from (?:outlook|yahoo|mail for|samsung|the |gmail|proton|blackberry|aol|bluemail)"
    r"|sent via |sent using |sent with |get outlook for |envoyé de mon |envoyé depuis "
    r"|enviado desde mi |enviado do meu |von meinem .{1,40} gesendet|inviato da "
    r"|verzonden (?:met|vanaf) |skickat från |sendt fra )",
    re.IGNORECASE,
)
# "Sent from my iPhone": a signature wherever it stands, as clients write it, with nothing after
_DEVICE_SIGNATURE = re.compile(
    r"sent from my (?:iphone|ipad|ipod|galaxy|samsung|android|blackberry|mobile|phone|smartphone"
    r"|huawei|pixel|xperia|nokia|htc|lg|motorola|oneplus|xiaomi|fairphone|tablet)\b[\w .()-]{0,30}[.!]?",
    re.IGNORECASE,
)
_SENT_FROM_MY = re.compile(r"sent from my ", re.IGNORECASE)
_ORIGINAL_MESSAGE = re.compile(
    r"(?:-{2,}\s*(?:original message|forwarded message|ursprüngliche nachricht"
    r"|weitergeleitete nachricht|message d'origine|message transféré|mensaje original"
    r"|mensagem original|messaggio originale|oorspronkelijk bericht|doorgestuurd bericht"
    r"|oprindelig meddelelse|videresendt meddelelse|opprinnelig melding|ursprungligt meddelande"
    r"|vidarebefordrat meddelande|alkuperäinen viesti|původní zpráva|wiadomość oryginalna"
    r"|oryginalna wiadomość|eredeti üzenet|mesaj original|исходное сообщение|пересылаемое сообщение"
    r"|reply message|original)\s*-{2,}"
    r"|={3,}\s*forwarded message\s*={3,}"
    r"|begin forwarded message:|début du message réexpédié)",
    re.IGNORECASE,
)
_FROM_LABEL = re.compile(r"\*?(?:from|de|von|van|da|från|fra|od)\s?\*?\s?:", re.IGNORECASE)
_SENT_LABEL = re.compile(
    r"\*?(?:sent|date|gesendet|datum|envoyé|enviado|verzonden|inviato|skickat|sendt"
    r"|data|wysłano|to|subject|til|emne|dato|an|betreff|objet|asunto|onderwerp|temat|ämne)\s?\*?\s?:",
    re.IGNORECASE,
)


def _next_index(lines: list[str], start: int) -> int | None:
    """Index of the next non-empty line at or after ``start`` (None at the end)."""
    for j in range(start, len(lines)):
        if lines[j].strip():
            return j
    return None


def _closes(lines: list[str], i: int) -> bool:
    """Line i ends what the sender wrote: only blank lines, a quote or a separator follow."""
    j = _next_index(lines, i + 1)
    if j is None:
        return True
    nxt = lines[j].strip()
    if nxt[0] in ">|" or nxt == "--":
        return True
    return _is_separator(lines, j, nxt) or _attribution_span(lines, j, nxt) > 0


def _is_signature(lines: list[str], i: int, stripped: str, after_text: bool) -> bool:
    """A "-- " delimiter, a client's "Sent from ..." line, or "Sent from my ..." closing the message
    (a short last line under some text: "Sent from my desk, is much easier..." is an answer)."""
    if stripped == "--" and lines[i].rstrip("\r").startswith("--"):
        return True
    if len(stripped) > 120 or stripped[0] not in "SsGgEeVvIi":
        return False
    if _SENT_FROM_MY.match(stripped):
        if _DEVICE_SIGNATURE.fullmatch(stripped) is not None:
            return True
        return after_text and len(stripped) <= 80 and _closes(lines, i)
    return _CLIENT_SIGNATURE.match(stripped) is not None


def _is_header_block(lines: list[str], i: int) -> bool:
    """An Outlook-style "From: ... / Sent: ..." block starts at line i."""
    if not _FROM_LABEL.match(lines[i].strip()):
        return False
    return any(_SENT_LABEL.match(nxt.strip()) for nxt in lines[i + 1 : i + 5])


def _is_separator(lines: list[str], i: int, stripped: str) -> bool:
    first = stripped[0]
    if first in "*_" and len(stripped) > 2:  # a bold "*-------- Original Message --------*"
        core = stripped.strip("*_ ")
        if core and core[0] in "-=" and _ORIGINAL_MESSAGE.match(core):
            return True
    if first in "-=BbDd" and _ORIGINAL_MESSAGE.match(stripped):
        return True
    if first == "-" and _ZOHO.fullmatch(stripped):
        return True
    if first == "_" and stripped.startswith("__________"):
        return True
    return first in "*FfDdVvOo" and _is_header_block(lines, i)


def _next_nonempty(lines: list[str], start: int) -> str | None:
    for line in lines[start : start + 4]:
        if line.strip():
            return line.strip()
    return None


def _attribution_line(text: str, starts: bool, nxt: str | None) -> bool:
    """Does ``text`` (one line, or wrapped lines joined) read as the line introducing a quote?"""
    if len(text) >= 400:
        return False
    if text.endswith(":") and _ATTR_END.search(text):
        return starts or (nxt is not None and nxt[0] in ">|") or (
            _ADDRESS.search(text) is not None or _WHEN.search(text) is not None
        )
    if text[0].isdigit() and _DATED_ADDRESS.fullmatch(text):
        return True
    return text.endswith(":") and ">" in text and _TIMED_ADDRESS.fullmatch(text) is not None


def _attribution_span(lines: list[str], i: int, stripped: str, nested: bool = False) -> int:
    """Number of lines (1-3) forming an "On <date>, <name> wrote:" attribution at i, or 0.

    An attribution is the line that introduces the quote: an answer that merely begins like one
    ("On leave that week, apologies.") directly above the real attribution is not part of it.
    """
    starts = _ATTR_START.match(stripped) is not None
    nxt = _next_nonempty(lines, i + 1)
    if _attribution_line(stripped, starts, nxt):
        return 1
    if not (starts or "@" in stripped or stripped[0].isdigit()):
        return 0
    joined = stripped
    for k in (1, 2):
        if i + k >= len(lines) or not lines[i + k].strip():
            return 0
        following = lines[i + k].strip()
        if (
            not nested
            and (_ATTR_START.match(following) is not None or following[0].isdigit())
            and _attribution_span(lines, i + k, following, nested=True)
        ):
            return 0  # the next line is an attribution on its own: line i is the sender's text
        joined = f"{joined} {following}"
        if _attribution_line(joined, starts, _next_nonempty(lines, i + k + 1)):
            return k + 1
    return 0


def _tidy(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    return _BLANK_RUNS.sub("\n\n", text).strip()


def _strip_plain(text: str) -> tuple[str, bool]:
    """Cut a plain-text reply; the flag says whether any quote or signature was found."""
    lines = text.splitlines()
    kept: list[str] = []
    found = False
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            kept.append("")
        elif stripped[0] == ">":
            found = True
        elif _is_signature(lines, i, stripped, any(kept)) or _is_separator(lines, i, stripped):
            return _tidy(kept), True
        else:
            span = _attribution_span(lines, i, stripped)
            if span:
                nxt = _next_nonempty(lines, i + span)
                if nxt is None or nxt[0] not in ">":
                    return _tidy(kept), True
                found = True
                i += span
                continue
            kept.append(line)
        i += 1
    return _tidy(kept), found


def strip_quoted(text: str, html: str | None = None) -> str:
    """Return only the fresh part of a reply.

    Cuts at attributions ("On <date>, <name> wrote:", localised variants, Apple Mail and
    Thunderbird forms), Outlook "From:/Sent:" blocks, "-----Original Message-----" and
    forward markers, signatures ("-- " and mobile "Sent from ..." lines), and drops lines
    starting with ">" (so bottom-posted answers under a quote survive).  When the plain
    text shows no quote at all but ``html`` carries a client's reply separator
    (Outlook ``divRplyFwdMsg``/``appendonsend``/``border-top:solid #E1E1E1``, Gmail
    ``gmail_quote``, ``blockquote type=cite``...), the HTML is cut there and converted.
    """
    fresh, found = _strip_plain(text)
    if found or not html:
        return fresh
    cut = _cut_html(html)
    if cut is None:
        return fresh
    from_html, _ = _strip_plain(html_to_text(cut))
    return from_html or fresh
