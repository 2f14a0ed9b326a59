"""Observers at public meetings: places (:mod:`.places`), bookings (:mod:`.bookings`), the
waiting list (:mod:`.waiting`), questions (:mod:`.questions`) and their scheduled work
(:mod:`.jobs`).

Its public operations and types are gathered here for the adapters (mail, bot, the CLI); modules
inside clerk import the module that defines a name.
"""

from clerk.observers.bookings import (
    BookingOutcome,
    CancelBooking,
    ConfirmBooking,
    JoinWaitingList,
    RequestBooking,
    cancel_booking,
    chat_booking,
    chat_bookings,
    confirm_booking,
    join_waiting_list,
    request_booking,
)
from clerk.observers.jobs import booking_list, send_booking_list
from clerk.observers.places import MeetingPlaces, meeting_places, places_for, public_meetings
from clerk.observers.questions import AskQuestion, QuestionLine, ask_question, meeting_questions
from clerk.observers.waiting import AnswerOffer, answer_offer

__all__ = [
    "AnswerOffer",
    "AskQuestion",
    "BookingOutcome",
    "CancelBooking",
    "ConfirmBooking",
    "JoinWaitingList",
    "MeetingPlaces",
    "QuestionLine",
    "RequestBooking",
    "answer_offer",
    "ask_question",
    "booking_list",
    "cancel_booking",
    "chat_booking",
    "chat_bookings",
    "confirm_booking",
    "join_waiting_list",
    "meeting_places",
    "meeting_questions",
    "places_for",
    "public_meetings",
    "request_booking",
    "send_booking_list",
]
