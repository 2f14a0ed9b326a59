"""How fast clerk reads replies: 10,000 generated replies (Gmail, Outlook desktop, Outlook
mobile, Apple Mail, Thunderbird and HTML-only shapes; attending, apologies, substitutes, unclear
answers, auto-replies) go through ``clerk mail ingest``'s code path - read from files, decoded,
understood, recorded in a SQLite file with their audit events, and each answered with a queued
confirmation (or a request to answer again). Printed beside it: the time Python's own parser
takes just to decode the same messages (``email.message_from_bytes(raw,
policy=policy.default)`` then ``get_body().get_content()``).

Targets on a 2-core machine: at most 2x the parser's time, at least 400 messages a second, peak
memory under 200 MB. Each measurement runs in a fresh child process, so the peak resident
memory printed is that of the work alone.

    .venv/bin/python -m bench.bench_ingest [N]
"""

from __future__ import annotations

import base64
import json
import os
import quopri
import random
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

from clerk.app import Clerk
from clerk.clock import FakeClock
from clerk.config import parse_config
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.people.bodies import sync_bodies
from clerk.people.membership import import_members
from clerk.store import open_store
from clerk.times import to_iso

ROOT = Path(__file__).resolve().parent.parent
N = 10_000
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
DOMAIN = "clerk.example.org"

INVITATION = """Dear {name},

You are invited to the meeting of the {body}.

When:   Thursday 14 January 2027 at 10:00
Where:  County Hall, Spetchley Road, Worcester

Please tell us if you can come. Reply to this email with one of these:

  YES - if you will be there
  NO  - if you cannot come (we will record your apologies)
  or the name and email address of the person coming in your place
  (your substitute), for example: Jo Bloggs, jo.bloggs@example.org

A calendar invitation is attached, so you can add the meeting to your calendar.
The papers will follow before the meeting.

Any questions? Write to facilitator@carers.example.org.

Partnership clerk
Worcestershire partnerships (example)"""

ATTEND = ["Yes, I'll be there.", "Yes please, count me in.", "I will attend. Thanks",
          "Happy to attend - see you there.", "Yes", "I can make it, thank you.",
          "Confirming my attendance.", "Wouldn't miss it!"]
APOLOGIES = ["Sorry, I can't make it this time.", "Please send my apologies.", "No, sorry.",
             "I'm on annual leave that week, apologies.", "Unfortunately I have a diary clash.",
             "I won't be able to attend, sorry."]
UNCLEAR = ["Maybe - I will try to come.", "What time does it finish?",
           "Yes... actually no, I can't.", "Not sure yet, will confirm."]


# ----------------------------------------------------------------------------- the messages


def _qp(text: str, charset: str = "utf-8") -> str:
    return quopri.encodestring(text.encode(charset, "replace")).decode("ascii")


def _b64(text: str) -> str:
    return base64.encodebytes(text.encode("utf-8")).decode("ascii")


def _quoted(text: str) -> str:
    return "\n".join(("> " + line) if line else ">" for line in text.splitlines())


def _head(sender: str, name: str, key: str, mid: str, subject: str, extra: str = "") -> str:
    return (f"Return-Path: <{sender}>\nDelivered-To: clerk+{key}@{DOMAIN}\n"
            f"Received: from mail.example.org (mail.example.org [192.0.2.1])\n"
            f"\tby mx.{DOMAIN} with ESMTPS id {secrets.token_hex(6)}; Mon, 11 Jan 2027 "
            f"10:41:22 +0000\nMIME-Version: 1.0\nDate: Mon, 11 Jan 2027 10:41:22 +0000\n"
            f"From: {name} <{sender}>\nTo: Partnership clerk <clerk+{key}@{DOMAIN}>\n"
            f"Subject: {subject}\nMessage-ID: <{mid}>\n"
            f"In-Reply-To: <rsvp.{key}.1a2b3c4d@{DOMAIN}>\n"
            f"References: <rsvp.{key}.1a2b3c4d@{DOMAIN}>\n{extra}")


def gmail(sender: str, name: str, key: str, answer: str, invitation: str) -> str:
    b = "000000000000" + secrets.token_hex(8)
    plain = (f"{answer}\n\n{name.split()[0]}\n\nOn Mon, 11 Jan 2027 at 09:12, Partnership clerk "
             f"<clerk+{key}@{DOMAIN}> wrote:\n\n{_quoted(invitation)}\n")
    html = (f'<div dir="ltr">{answer}<div><br></div><div>{name.split()[0]}</div></div><br>'
            f'<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, 11 Jan 2027 at '
            f'09:12, Partnership clerk &lt;clerk+{key}@{DOMAIN}&gt; wrote:<br></div><blockquote '
            f'class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid '
            f'rgb(204,204,204);padding-left:1ex">'
            + "".join(f"<p>{line}</p>" for line in invitation.splitlines() if line)
            + "</blockquote></div>\n")
    head = _head(sender, name, key, f"CA{secrets.token_hex(20)}@mail.gmail.com",
                 "Re: Invitation: Worcestershire Carers Partnership, Thursday 14 January 2027",
                 f'Content-Type: multipart/alternative; boundary="{b}"\n')
    return (f"{head}\n--{b}\nContent-Type: text/plain; charset=\"UTF-8\"\n"
            f"Content-Transfer-Encoding: quoted-printable\n\n{_qp(plain)}\n--{b}\n"
            f"Content-Type: text/html; charset=\"UTF-8\"\nContent-Transfer-Encoding: "
            f"quoted-printable\n\n{_qp(html)}\n--{b}--\n")


def outlook_desktop(sender: str, name: str, key: str, answer: str, invitation: str) -> str:
    b = f"_000_DB9PR02MB{secrets.token_hex(10).upper()}_"
    sep = (f"________________________________\nFrom: Partnership clerk <clerk+{key}@{DOMAIN}>\n"
           f"Sent: 11 January 2027 09:12\nTo: {name} <{sender}>\nSubject: Invitation: "
           f"Worcestershire Carers Partnership, Thursday 14 January 2027\n\n")
    plain = f"{answer}\n\nKind regards\n{name}\n\n{sep}{invitation}\n"
    style = ("<style><!-- @font-face {font-family:\"Cambria Math\";} p.MsoNormal, li.MsoNormal, "
             "div.MsoNormal {margin:0cm; font-size:11.0pt; font-family:\"Calibri\",sans-serif;} "
             "span.EmailStyle17 {mso-style-type:personal-compose;} --></style>")
    html = (f"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; "
            f"charset=Windows-1252\">{style}</head><body lang=\"EN-GB\"><div class=\"WordSection1\">"
            f"<p class=\"MsoNormal\">{answer}<o:p></o:p></p><p class=\"MsoNormal\">Kind regards"
            f"<br>{name}<o:p></o:p></p><div style=\"border:none;border-top:solid #E1E1E1 1.0pt;"
            f"padding:3.0pt 0cm 0cm 0cm\"><p class=\"MsoNormal\"><b>From:</b> Partnership clerk "
            f"<br><b>Sent:</b> 11 January 2027 09:12</p></div>"
            + "".join(f"<p class=\"MsoNormal\">{line}<o:p></o:p></p>"
                      for line in invitation.splitlines() if line)
            + "</div></body></html>\n")
    head = _head(sender, name, key, f"DB9PR02MB{secrets.token_hex(12).upper()}@DB9PR02MB7001."
                 "eurprd02.prod.outlook.com", "RE: Invitation: Worcestershire Carers Partnership, "
                 "Thursday 14 January 2027",
                 f"Thread-Topic: Invitation: Worcestershire Carers Partnership\nThread-Index: "
                 f"AQHbY2Zk{secrets.token_hex(8)}\nX-MS-Has-Attach:\nX-Auto-Response-Suppress: All"
                 f"\nContent-Type: multipart/alternative;\n\tboundary=\"{b}\"\n")
    return (f"{head}\n--{b}\nContent-Type: text/plain; charset=\"Windows-1252\"\n"
            f"Content-Transfer-Encoding: quoted-printable\n\n{_qp(plain, 'cp1252')}\n--{b}\n"
            f"Content-Type: text/html; charset=\"Windows-1252\"\nContent-Transfer-Encoding: "
            f"quoted-printable\n\n{_qp(html, 'cp1252')}\n--{b}--\n")


def outlook_mobile(sender: str, name: str, key: str, answer: str, invitation: str) -> str:
    b = f"_000_{secrets.token_hex(10)}_"
    plain = (f"{answer}\n\nGet Outlook for iOS<https://aka.ms/o0ukef>\n"
             f"________________________________\nFrom: Partnership clerk\nSent: Monday, "
             f"January 11, 2027 9:12:00 AM\nTo: {name}\nSubject: Invitation\n\n{invitation}\n")
    html = (f"<html><body><div dir=\"auto\">{answer}</div><div id=\"ms-outlook-mobile-signature"
            f"\">Get Outlook for iOS</div><hr><div id=\"divRplyFwdMsg\"><b>From:</b> Partnership "
            f"clerk</div>" + "".join(f"<p>{line}</p>" for line in invitation.splitlines())
            + "</body></html>\n")
    head = _head(sender, name, key, f"{secrets.token_hex(16)}@outlook.com",
                 "Re: Invitation: Worcestershire Carers Partnership",
                 f"Content-Type: multipart/alternative; boundary=\"{b}\"\n")
    return (f"{head}\n--{b}\nContent-Type: text/plain; charset=\"utf-8\"\n"
            f"Content-Transfer-Encoding: base64\n\n{_b64(plain)}\n--{b}\nContent-Type: text/html; "
            f"charset=\"utf-8\"\nContent-Transfer-Encoding: base64\n\n{_b64(html)}\n--{b}--\n")


def apple_mail(sender: str, name: str, key: str, answer: str, invitation: str) -> str:
    plain = (f"{answer}\n\nSent from my iPhone\n\n> On 11 Jan 2027, at 09:12, Partnership clerk "
             f"<clerk+{key}@{DOMAIN}> wrote:\n>\n{_quoted(invitation)}\n")
    head = _head(sender, name, key, f"{secrets.token_hex(8).upper()}-{secrets.token_hex(4)}"
                 "@example.org", "Re: Invitation: Worcestershire Carers Partnership",
                 "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: "
                 "quoted-printable\nX-Mailer: iPhone Mail (20B110)\n")
    return f"{head}\n{_qp(plain)}"


def thunderbird(sender: str, name: str, key: str, answer: str, invitation: str) -> str:
    plain = (f"On 11/01/2027 09:12, Partnership clerk wrote:\n{_quoted(invitation)}\n\n"
             f"{answer}\n\n-- \n{name}\n")
    head = _head(sender, name, key, f"{secrets.token_hex(8)}@example.org",
                 "Re: Invitation: Worcestershire Carers Partnership",
                 "User-Agent: Mozilla Thunderbird\nContent-Type: text/plain; charset=UTF-8; "
                 "format=flowed\nContent-Transfer-Encoding: 8bit\n")
    return f"{head}\n{plain}"


def html_only(sender: str, name: str, key: str, answer: str, invitation: str) -> str:
    html = (f"<html><head><style>p {{ color: green; }}</style></head><body><p>{answer}</p>"
            f"<blockquote type=\"cite\">" + "".join(f"<p>{line}</p>"
                                                     for line in invitation.splitlines())
            + "</blockquote></body></html>\n")
    head = _head(sender, name, key, f"{secrets.token_hex(10)}@mail.example.org",
                 "Re: Invitation", "Content-Type: text/html; charset=utf-8\n"
                 "Content-Transfer-Encoding: quoted-printable\n")
    return f"{head}\n{_qp(html)}"


SHAPES = [gmail, gmail, outlook_desktop, outlook_desktop, outlook_mobile, apple_mail,
          thunderbird, html_only]


def _answer(rng: random.Random, i: int) -> tuple[str, str]:
    roll = rng.random()
    if roll < 0.68:
        return "attend", rng.choice(ATTEND)
    if roll < 0.88:
        return "apologies", rng.choice(APOLOGIES)
    if roll < 0.92:
        return "substitute", (f"Sorry, I'm away. Sam Green (sam.green{i}@example.net) will come "
                              "in my place.")
    if roll < 0.97:
        return "unclear", rng.choice(UNCLEAR)
    return "auto-reply", "I am out of the office until Monday."


def generate(folder: Path, n: int) -> Path:
    """A database with members, meetings and one reply key per (member, meeting), and ``n``
    replies written as .eml files; returns the database path."""
    data = tomllib.loads((ROOT / "config.example.toml").read_text("utf-8"))
    data["clerk"]["database"] = str(folder / "clerk.db")
    data["mail"]["maildir"] = str(folder / "mail")
    config = parse_config(data, ROOT / "config.example.toml")
    app = Clerk(config, open_store(config.database_path), FakeClock(NOW))
    sync_bodies(app)
    import_members(app, (ROOT / "members.example.csv").read_text("utf-8"))
    seats = app.store.all("SELECT m.body, p.id, p.email, p.name FROM memberships m "
                          "JOIN people p ON p.id = m.person_id WHERE m.active = 1")
    weeks = -(-n // len(seats)) + 1
    pairs = []
    for body in config.bodies:
        for week in range(weeks):
            meeting = add_meeting(app, AddMeeting(body=body, venue="County Hall", starts_at=(
                datetime(2027, 1, 14, 10, tzinfo=UTC) + timedelta(weeks=week))))
            pairs += [(meeting.ref, s) for s in seats if s["body"] == body]
    rng = random.Random(2027)
    rng.shuffle(pairs)
    keys = []
    for ref, seat in pairs[:n]:
        keys.append({"key": secrets.token_hex(16), "person_id": seat["id"], "purpose": "rsvp",
                     "subject_ref": ref, "created_at": to_iso(NOW),
                     "expires_at": to_iso(NOW + timedelta(days=400))})
    with app.store.write() as db:
        db.table("reply_keys").insert_all(keys, batch_size=1000)
    app.store.close()
    kinds: Counter[str] = Counter()
    for i, (key, (_ref, seat)) in enumerate(zip(keys, pairs[:n], strict=True)):
        intent, answer = _answer(rng, i)
        kinds[intent] += 1
        shape = SHAPES[i % len(SHAPES)]
        text = shape(seat["email"], seat["name"], key["key"], answer,
                     INVITATION.format(name=seat["name"], body="Worcestershire Carers Partnership"))
        if intent == "auto-reply":
            text = text.replace("MIME-Version: 1.0\n", "MIME-Version: 1.0\nAuto-Submitted: "
                                "auto-replied\n", 1)
        (folder / "replies" / f"{i:05d}.eml").write_bytes(text.replace("\n", "\r\n").encode())
    (folder / "kinds.json").write_text(json.dumps(kinds))
    return config.database_path


# ----------------------------------------------------------------------------- the runs


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the decoding worker)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def peak_mb() -> float:
    """This process's peak resident memory plus that of the decoding worker, if one ran."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def run_parser(folder: Path) -> dict[str, float]:
    files = sorted((folder / "replies").glob("*.eml"))
    start, cpu = time.perf_counter(), time.process_time()
    for path in files:
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        body = msg.get_body()  # type: ignore[attr-defined]
        if body is not None:
            body.get_content()
    return {"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu,
            "peak_mb": peak_mb()}


def run_ingest(folder: Path) -> dict[str, float]:
    from mail.ingest import ingest_many

    data = tomllib.loads((ROOT / "config.example.toml").read_text("utf-8"))
    data["clerk"]["database"] = str(folder / "clerk.db")
    data["mail"]["maildir"] = str(folder / "mail")
    config = parse_config(data, ROOT / "config.example.toml")
    app = Clerk(config, open_store(config.database_path), FakeClock(NOW))
    files = sorted((folder / "replies").glob("*.eml"))
    statuses: Counter[str] = Counter()
    start, cpu = time.perf_counter(), _cpu()
    raws = [path.read_bytes() for path in files]  # what `clerk mail ingest FILE...` does
    for result in ingest_many(app, raws, source="file"):
        statuses[result.status] += 1
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    outbox = dict(Counter(r["kind"] for r in app.store.all("SELECT kind FROM outbox")))
    app.store.close()
    return {"seconds": seconds, "cpu": cpu, "peak_mb": peak_mb(),
            "statuses": dict(statuses), "outbox": outbox}  # type: ignore[dict-item]


def child(what: str, folder: Path) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-m", "bench.bench_ingest", "--child", what,
                          str(folder)], cwd=ROOT, check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main(n: int) -> None:
    with tempfile.TemporaryDirectory(prefix="clerk-bench-") as tmp:
        folder = Path(tmp)
        (folder / "replies").mkdir()
        t0 = time.perf_counter()
        generate(folder, n)
        size = sum(p.stat().st_size for p in (folder / "replies").iterdir())
        kinds = json.loads((folder / "kinds.json").read_text())
        print(f"generated {n:,} replies ({size / 2**20:.1f} MB; {kinds}) in "
              f"{time.perf_counter() - t0:.1f} s")
        parser = child("parser", folder)
        result = child("ingest", folder)
    p_s, i_s = float(parser["seconds"]), float(result["seconds"])  # type: ignore[arg-type]
    p_cpu, i_cpu = float(parser["cpu"]), float(result["cpu"])  # type: ignore[arg-type]
    rate = n / i_s
    print(f"Python's parser (policy.default, get_body().get_content()): {p_s:.2f} s "
          f"({n / p_s:,.0f} messages/s; CPU {p_cpu:.2f} s)")
    print(f"clerk mail ingest path: {i_s:.2f} s, {rate:,.0f} messages/s, "
          f"{i_s / p_s:.2f}x the parser's time (CPU {i_cpu:.2f} s in both processes, "
          f"{n / i_cpu:,.0f} messages/s of CPU), peak memory {result['peak_mb']:.0f} MB "
          "(the recording process and the decoding worker added)")
    print(f"  load average while measuring: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"  outcomes: {result['statuses']}")
    print(f"  queued:   {result['outbox']}")
    print(f"targets: <= 2x parser {'OK' if i_s <= 2 * p_s else 'MISSED'}; >= 400 messages/s "
          f"{'OK' if rate >= 400 else 'MISSED'}; peak < 200 MB "
          f"{'OK' if float(result['peak_mb']) < 200 else 'MISSED'}")  # type: ignore[arg-type]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        run = run_parser if sys.argv[2] == "parser" else run_ingest
        print(json.dumps(run(Path(sys.argv[3]))))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else N)
