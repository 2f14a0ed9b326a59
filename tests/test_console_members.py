"""The members pages of the console: the list (former members, bouncing addresses), importing a
file with a preview of what it changes, editing a member, ending a membership, resuming mail; and
that another body's facilitator can neither read nor change any of it."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable
from datetime import date

import pytest

from clerk.app import Clerk
from clerk.people import end_membership, import_members, preview_import
from clerk.people.undeliverable import mark_undeliverable
from clerk.store import audit
from tests.console_fixtures import ConsoleClient, Page

FACILITATOR = "facilitator@carers.example.org"
JCB_FACILITATOR = "jcb.support@worcs.example.org"
IMOGEN = "imogen.iqbal@example.org"
CAROL = "carol.chowdhury@example.org"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')

Console = Callable[[str], ConsoleClient]


def person_id(app: Clerk, email: str) -> int:
    row = app.store.one("SELECT id FROM people WHERE email = ?", [email])
    assert row is not None
    return int(row["id"])


def seat(app: Clerk, email: str, body: str = "carers") -> dict[str, object]:
    row = app.store.one("SELECT p.name, m.* FROM memberships m JOIN people p ON p.id = "
                        "m.person_id WHERE p.email = ? AND m.body = ?", [email, body])
    assert row is not None
    return row


def hidden_fields(page: Page) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page.text)
            if name != "csrf"}


def upload(client: ConsoleClient, text: str, *, slug: str = "carers", rejoin: bool = False,
           name: str = "members.csv") -> Page:
    client.get(f"/bodies/{slug}/members/import")
    return client.post(f"/bodies/{slug}/members/import", {"rejoin": "yes"} if rejoin else {},
                       files={"file": (name, text.encode("cp1252"), "text/csv")})


def audit_count(app: Clerk) -> int:
    row = app.store.one("SELECT COUNT(*) AS n FROM audit")
    assert row is not None
    return int(row["n"])


# ------------------------------------------------------------------------------ the list


def test_the_members_page_shows_members_former_members_and_bouncing_mail(
        console: Console, clerk_app: Clerk) -> None:
    end_membership(clerk_app, CAROL, "carers", date(2026, 11, 20))
    with clerk_app.store.write() as db:
        mark_undeliverable(db, IMOGEN, why="550 mailbox unavailable", now=clerk_app.clock.now(),
                           actor="test")
    page = console(FACILITATOR).get("/bodies/carers/members")
    assert page.status == 200
    assert "<h1 class=\"govuk-heading-l\">Members of Worcestershire Carers Partnership</h1>" in page.text
    assert "19 members; 1 former member." in page.text
    current, former = page.text.split("Former members</caption>")
    assert "Alice Ashworth" in current and "alice.ashworth@example.org" in current
    assert "Worcestershire Parent Carer Forum" in current and "vice chair" in current
    imogen = current[current.index(IMOGEN):].split("</tr>")[0]
    assert "Bouncing" in imogen
    assert "Mail to 1 member (or their substitute) is not sent because it bounced" in page.text
    assert CAROL not in current
    assert "Carol Chowdhury" in former and "20 November 2026" in former
    assert f'href="/bodies/carers/members/{person_id(clerk_app, IMOGEN)}"' in page.text


def test_named_substitutes_are_listed(console: Console, clerk_app: Clerk) -> None:
    page = console(JCB_FACILITATOR).get("/bodies/cypsp-jcb/members")
    row = page.text[page.text.index("Ethan Foster"):].split("</tr>")[0]
    assert "Fiona Gibson" in row and "fiona.gibson@example.org" in row


# ------------------------------------------------------------------------------ authorisation


def test_another_body_s_facilitator_cannot_read_or_change_members(console: Console,
                                                                  clerk_app: Clerk) -> None:
    imogen = person_id(clerk_app, IMOGEN)
    with clerk_app.store.write() as db:
        mark_undeliverable(db, IMOGEN, why="bounced", now=clerk_app.clock.now(), actor="test")
    # a preview the carers facilitator made, replayed by the other body's facilitator
    carers = console(FACILITATOR)
    preview = upload(carers, f"body,name,email,carer\ncarers,Imogen Iqbal,{IMOGEN},yes\n")
    fields = hidden_fields(preview)
    other = console(JCB_FACILITATOR)
    before = audit_count(clerk_app)
    for path in ("/bodies/carers/members", "/bodies/carers/members/import",
                 f"/bodies/carers/members/{imogen}"):
        page = other.get(path)
        assert page.status == 403 and IMOGEN not in page.text and "Imogen" not in page.text
    forms = {
        "/bodies/carers/members/import": {},
        "/bodies/carers/members/import/apply": fields,
        f"/bodies/carers/members/{imogen}": {"name": "Someone Else", "carer": "yes"},
        f"/bodies/carers/members/{imogen}/end": {"end-day": "23", "end-month": "11",
                                                  "end-year": "2026"},
        f"/bodies/carers/members/{imogen}/resume-mail": {"person": str(imogen)},
    }
    for path, data in forms.items():
        page = other.post(path, data)
        assert page.status == 403, path
    assert audit_count(clerk_app) == before
    assert seat(clerk_app, IMOGEN)["active"] == 1 and seat(clerk_app, IMOGEN)["carer"] == 0
    assert clerk_app.store.one("SELECT undeliverable FROM people WHERE email = ?",
                               [IMOGEN]) == {"undeliverable": "bounced"}
    # a member of another body is not found under this body's address
    carol_on_jcb = carers.get(f"/bodies/cypsp-jcb/members/{person_id(clerk_app, CAROL)}")
    assert carol_on_jcb.status == 403
    ethan = person_id(clerk_app, "ethan.foster@example.org")
    assert carers.get(f"/bodies/carers/members/{ethan}").status == 404
    assert carers.post(f"/bodies/carers/members/{ethan}/end",
                       {"end-day": "23", "end-month": "11", "end-year": "2026"}).status == 404
    assert seat(clerk_app, "ethan.foster@example.org", "cypsp-jcb")["active"] == 1


def test_an_import_cannot_touch_another_body_s_members(console: Console,
                                                       clerk_app: Clerk) -> None:
    text = ("body,name,email,carer\n"
            "cypsp-jcb,Ethan Foster,ethan.foster@example.org,yes\n"
            "cypsp-jcb,New Person,new.person@example.org,no\n")
    page = upload(console(FACILITATOR), text)
    assert page.status == 200
    assert "this row is for CYPSP Joint Commissioning Board, so it was skipped" in page.text
    assert "There is nothing to apply" in page.text and "Apply these changes" not in page.text
    # even signed for the carers body, the apply only ever imports the carers rows
    client = console(FACILITATOR)
    mixed = upload(client, text + "carers,Sam Stone,sam.stone@example.org,no\n")
    client.post("/bodies/carers/members/import/apply", hidden_fields(mixed))
    assert seat(clerk_app, "sam.stone@example.org")["active"] == 1
    assert seat(clerk_app, "ethan.foster@example.org", "cypsp-jcb")["carer"] == 0
    assert clerk_app.store.one("SELECT id FROM people WHERE email = 'new.person@example.org'"
                               ) is None


# ------------------------------------------------------------------------------ importing


FILE = ("body;name;email;role;carer;voting;shoe size\n"
        "carers;Sam Stone;sam.stone@example.org;officer;no;yes;9\n"
        f"carers;Imogen Iqbal;{IMOGEN};carer;yes;yes;5\n"
        "carers;Alice Ashworth;alice.ashworth@example.org;carer;yes;yes;6\n"
        "carers;Dup Licate;dup@example.org;member;no;yes;7\n"
        "carers;Dup Licate;DUP@example.org;member;yes;yes;7\n"
        "carers;Bad Address;not-an-address;member;no;yes;8\n")


def test_an_import_is_previewed_then_applied_as_previewed(console: Console,
                                                          clerk_app: Clerk) -> None:
    client = console(FACILITATOR)
    before = audit_count(clerk_app)
    page = upload(client, FILE)
    assert page.status == 200 and "Check the import for Worcestershire Carers Partnership" in page.text
    assert "read as semicolon-separated UTF-8 text" in page.text
    added = page.text.split("Members to add</caption>")[1].split("</table>")[0]
    assert "Sam Stone" in added and "sam.stone@example.org" in added
    changed = page.text.split("Members to change</caption>")[1].split("</table>")[0]
    assert "Imogen Iqbal" in changed and "Role: officer" in changed and "carer" in changed
    assert "Carer: no" in changed
    # Alice's row has no office column: the preview shows it would take away her office
    alice = changed[changed.index("Alice Ashworth"):].split("</tr>")[0]
    assert "Office: chair" in alice and "(none)" in alice
    assert "no membership will end: an import never ends one" in page.text
    assert "18 members not in the file stay" in page.text
    rejected = page.text.split("Rows that will not be applied</caption>")[1].split("</table>")[0]
    assert "dup@example.org is listed for carers on lines 5 and 6" in rejected
    assert "not-an-address" in rejected
    assert "shoe_size are not ones clerk knows" in page.text
    # nothing has changed yet
    assert audit_count(clerk_app) == before
    assert clerk_app.store.one("SELECT id FROM people WHERE email = 'sam.stone@example.org'"
                               ) is None
    assert seat(clerk_app, IMOGEN)["carer"] == 0
    done = client.post("/bodies/carers/members/import/apply", hidden_fields(page))
    assert done.path == "/bodies/carers/members" and done.history == (303,)
    assert ("members.csv imported into Worcestershire Carers Partnership: 1 added, 2 changed, "
            "0 unchanged, 3 rows rejected.") in done.text
    assert "Sam Stone" in done.text
    assert seat(clerk_app, IMOGEN)["carer"] == 1 and seat(clerk_app, IMOGEN)["role"] == "carer"
    event = clerk_app.store.one("SELECT actor, channel, detail FROM audit WHERE action = "
                                "'members.import' ORDER BY id DESC LIMIT 1")
    assert event is not None and (event["actor"], event["channel"]) == (FACILITATOR, "console")
    assert json.loads(event["detail"])["body"] == "carers"
    assert audit.verify_chain(clerk_app.store.db).ok


def test_the_apply_refuses_a_file_other_than_the_one_previewed(console: Console,
                                                               clerk_app: Clerk) -> None:
    client = console(FACILITATOR)
    fields = hidden_fields(upload(client, FILE))
    other = FILE.replace("Sam Stone", "Someone Else").encode()
    for tampered in ({**fields, "content": base64.b64encode(other).decode()},
                     {**fields, "content": "not base64!"},
                     {**fields, "rejoin": "yes"},
                     {**fields, "signature": ""}):
        page = client.post("/bodies/carers/members/import/apply", tampered)
        assert page.status == 400 and "Nothing was imported" in page.text
        assert "the file is not the one that was previewed" in page.text
    assert clerk_app.store.one("SELECT id FROM people WHERE email IN "
                               "('sam.stone@example.org', 'someone.else@example.org')") is None


def test_the_apply_refuses_when_the_membership_changed_since_the_preview(
        console: Console, clerk_app: Clerk) -> None:
    client = console(FACILITATOR)
    fields = hidden_fields(upload(client, FILE))
    # meanwhile, someone imports Imogen's new seat from the command line
    import_members(clerk_app, f"body,name,email,role,carer\ncarers,Imogen Iqbal,{IMOGEN},"
                              "carer,yes\n")
    page = client.post("/bodies/carers/members/import/apply", fields)
    assert page.status == 400
    assert "Nothing was imported: the membership or the file has changed since the preview" \
        in page.text
    assert clerk_app.store.one("SELECT id FROM people WHERE email = 'sam.stone@example.org'"
                               ) is None


def test_an_ended_member_in_the_file_is_skipped_unless_they_have_rejoined(
        console: Console, clerk_app: Clerk) -> None:
    end_membership(clerk_app, CAROL, "carers", date(2026, 11, 20))
    text = f"body,name,email,carer\ncarers,Carol Chowdhury,{CAROL},yes\n"
    client = console(FACILITATOR)
    page = upload(client, text)
    assert "their membership ended on 2026-11-20, so this row was skipped" in page.text
    assert "import the file again saying that they have rejoined" in page.text
    assert "There is nothing to apply" in page.text
    page = upload(client, text, rejoin=True)
    assert "Membership: ended on 2026-11-20" in page.text and "member again" in page.text
    client.post("/bodies/carers/members/import/apply", hidden_fields(page))
    assert seat(clerk_app, CAROL)["active"] == 1


def test_an_unreadable_or_missing_file_is_explained(console: Console) -> None:
    client = console(FACILITATOR)
    client.get("/bodies/carers/members/import")
    page = client.post("/bodies/carers/members/import", {})
    assert page.status == 400 and "Select a membership file" in page.text
    assert "govuk-error-summary" in page.text
    page = upload(client, "just some words\nno columns\n")
    assert page.status == 400 and "missing: body, name, email" in page.text


def test_preview_import_reads_as_the_import_applies(clerk_app: Clerk) -> None:
    """Two rows naming one substitute: the second is refused in the preview as in the import."""
    text = ("body,name,email,substitute_name,substitute_email\n"
            "carers,Alice Ashworth,alice.ashworth@example.org,Sub Stitute,sub@example.org\n"
            "carers,Bilal Bennett,bilal.bennett@example.org,Sub Stitute,sub@example.org\n")
    preview = preview_import(clerk_app, text, body="carers")
    assert [r.email for r in preview.changed] == ["alice.ashworth@example.org"]
    assert "substitute" in {c.field for c in preview.changed[0].changes}
    assert [line for line, _ in preview.errors] == [3]
    report = import_members(clerk_app, text, body="carers", expect=preview.fingerprint)
    assert (report.updated, [line for line, _ in report.errors]) == (1, [3])


# ------------------------------------------------------------------------------ one member


def test_a_member_is_edited_and_the_change_audited(console: Console, clerk_app: Clerk) -> None:
    client = console(FACILITATOR)
    path = f"/bodies/carers/members/{person_id(clerk_app, IMOGEN)}"
    page = client.get(path)
    assert page.status == 200 and 'value="Worcestershire County Council"' in page.text
    done = client.post(path, {"name": "Imogen Iqbal-Hart", "role": "officer", "office": "",
                              "organisation": "Worcestershire County Council",
                              "sector": "council", "carer": "yes", "voting": "yes",
                              "substitute_name": "Ravi Hart",
                              "substitute_email": "ravi.hart@example.org"})
    assert done.path == path and "Imogen Iqbal-Hart: name, carer, substitute saved." in done.text
    row = seat(clerk_app, IMOGEN)
    assert (row["name"], row["carer"], row["voting"]) == ("Imogen Iqbal-Hart", 1, 1)
    assert "ravi.hart@example.org" in done.text
    event = clerk_app.store.one("SELECT actor, channel, detail FROM audit WHERE action = "
                                "'membership.update'")
    assert event is not None and (event["actor"], event["channel"]) == (FACILITATOR, "console")
    assert json.loads(event["detail"])["changes"]["carer"] == ["no", "yes"]
    # clearing the substitute removes them
    client.post(path, {"name": "Imogen Iqbal-Hart", "role": "officer",
                       "organisation": "Worcestershire County Council", "sector": "council",
                       "carer": "yes", "voting": "yes"})
    assert clerk_app.store.one("SELECT id FROM named_substitutes WHERE body = 'carers'") is None


@pytest.mark.parametrize(("fields", "said", "field_id"), [
    ({"name": ""}, "Name is empty", "name"),
    ({"substitute_email": "not an address"}, "is not an email address", "substitute_email"),
    ({"substitute_email": "fiona.gibson@example.org", "substitute_name": "Fiona"}, None, None),
])
def test_a_mistake_in_the_member_form_is_explained(console: Console, clerk_app: Clerk,
                                                   fields: dict[str, str], said: str | None,
                                                   field_id: str | None) -> None:
    client = console(FACILITATOR)
    path = f"/bodies/carers/members/{person_id(clerk_app, IMOGEN)}"
    client.get(path)
    page = client.post(path, {"name": "Imogen Iqbal", "role": "officer", "voting": "yes",
                              **fields})
    if said is None:  # a substitute of a member of another body may stand here too
        assert page.status == 200
        return
    assert page.status == 400 and said in page.text
    assert f'<a href="#{field_id}">' in page.text and "govuk-error-summary" in page.text
    assert seat(clerk_app, IMOGEN)["name"] == "Imogen Iqbal"


def test_a_substitute_standing_for_another_member_is_refused(console: Console,
                                                             clerk_app: Clerk) -> None:
    import_members(clerk_app, "body,name,email,substitute_name,substitute_email\n"
                              "carers,Alice Ashworth,alice.ashworth@example.org,Sub,"
                              "sub@example.org\n")
    client = console(FACILITATOR)
    path = f"/bodies/carers/members/{person_id(clerk_app, IMOGEN)}"
    client.get(path)
    page = client.post(path, {"name": "Imogen Iqbal", "role": "officer", "voting": "yes",
                              "substitute_email": "sub@example.org"})
    assert page.status == 400
    assert "sub@example.org is already the named substitute for alice.ashworth@example.org" \
        in page.text


def test_a_membership_is_ended_on_a_day(console: Console, clerk_app: Clerk) -> None:
    client = console(FACILITATOR)
    path = f"/bodies/carers/members/{person_id(clerk_app, CAROL)}"
    page = client.get(path)
    assert 'value="23"' in page.text and 'value="2026"' in page.text  # today, to start with
    refused = client.post(f"{path}/end", {"end-day": "1", "end-month": "12", "end-year": "2026"})
    assert refused.status == 400 and "2026-12-01 is still to come" in refused.text
    wrong = client.post(f"{path}/end", {"end-day": "31", "end-month": "2", "end-year": "2026"})
    assert wrong.status == 400 and "must be a real date" in wrong.text
    assert seat(clerk_app, CAROL)["active"] == 1
    done = client.post(f"{path}/end", {"end-day": "20", "end-month": "11", "end-year": "2026"})
    assert done.path == "/bodies/carers/members"
    assert ("Carol Chowdhury's membership of Worcestershire Carers Partnership ended on "
            "20 November 2026") in html.unescape(done.text)
    assert seat(clerk_app, CAROL)["ended_on"] == "2026-11-20"
    event = clerk_app.store.one("SELECT actor, channel FROM audit WHERE action = "
                                "'membership.end'")
    assert event == {"actor": FACILITATOR, "channel": "console"}
    # an ended membership is shown, and cannot be edited
    page = client.get(path)
    assert "Ended" in page.text and "20 November 2026" in page.text
    assert "Save changes" not in page.text and "End membership" not in page.text
    assert client.post(path, {"name": "Carol C", "voting": "yes"}).status == 400
    assert seat(clerk_app, CAROL)["name"] == "Carol Chowdhury"


def test_mail_to_a_bouncing_address_is_resumed(console: Console, clerk_app: Clerk) -> None:
    with clerk_app.store.write() as db:
        mark_undeliverable(db, IMOGEN, why="550 no such user", now=clerk_app.clock.now(),
                           actor="test")
    client = console(FACILITATOR)
    imogen = person_id(clerk_app, IMOGEN)
    path = f"/bodies/carers/members/{imogen}"
    page = client.get(path)
    assert "550 no such user" in page.text and "Send mail to Imogen Iqbal again" in page.text
    # only the member's own address, or their substitute's, may be resumed from their page
    alice = person_id(clerk_app, "alice.ashworth@example.org")
    assert client.post(f"{path}/resume-mail", {"person": str(alice)}).status == 404
    done = client.post(f"{path}/resume-mail", {"person": str(imogen)})
    assert done.path == path and "Mail to Imogen Iqbal will be sent again." in done.text
    assert clerk_app.store.one("SELECT undeliverable FROM people WHERE id = ?",
                               [imogen]) == {"undeliverable": None}
    event = clerk_app.store.one("SELECT actor, channel FROM audit WHERE action = "
                                "'mail.deliverable'")
    assert event == {"actor": FACILITATOR, "channel": "console"}


def test_reading_the_pages_writes_nothing(console: Console, clerk_app: Clerk) -> None:
    client = console(FACILITATOR)
    before = audit_count(clerk_app)
    for path in ("/bodies/carers/members", "/bodies/carers/members/import",
                 f"/bodies/carers/members/{person_id(clerk_app, IMOGEN)}"):
        assert client.get(path).status == 200
    upload(client, FILE)
    assert audit_count(clerk_app) == before
    assert client.get("/bodies/nowhere/members").status == 404
    assert client.get("/bodies/carers/members/99999").status == 404
