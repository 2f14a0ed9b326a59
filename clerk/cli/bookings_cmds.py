"""``clerk bookings list MEETING``: the observers booked and waiting, for the facilitator."""

from __future__ import annotations

from typing import Annotated

import typer

from clerk.cli.common import ConfigOption, JsonOption, console, open_app, print_json

bookings = typer.Typer(help="Observers' bookings at public meetings.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(bookings, name="bookings")


@bookings.command("list")
def list_cmd(
    meeting: Annotated[str, typer.Argument(help="The meeting, e.g. carers-2027-01-14.")],
    email: Annotated[bool, typer.Option("--email", help="Also email the list to the body's "
                                        "facilitator now.")] = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """The observers booked (and places on offer) and the waiting list, in order."""
    from clerk.observers import booking_list, send_booking_list

    clerk = open_app(config)
    listing = booking_list(clerk, meeting)
    sent = None
    if email:
        stamp = clerk.clock.now().strftime("%Y%m%dT%H%M%S")
        sent = send_booking_list(clerk, meeting, f"booking-list:{meeting}:{stamp}")
    if as_json:
        print_json({**listing.as_json(), **({"emailed": sent} if email else {})})
        return
    p = listing.places
    console.print(f"{p.body_name}, {p.when}: {p.taken} of {p.capacity} places taken, "
                  f"{len(listing.waiting)} waiting; bookings close {p.closes}.", markup=False)
    for i, b in enumerate(listing.booked, 1):
        extra = f" (offered until {b.offer_expires})" if b.status == "offered" else ""
        console.print(f"  {i}. {b.name} <{b.email}>{extra}", markup=False)
    for i, b in enumerate(listing.waiting, 1):
        console.print(f"  waiting {i}. {b.name} <{b.email}>", markup=False)
    if not listing.booked and not listing.waiting:
        console.print("  Nobody has booked yet.")
    if email:
        console.print("The list was queued for the facilitator; `clerk mail send` sends it now."
                      if sent else "Not emailed: the body has no facilitator address.")
