"""The Telegram adapter: turns chat updates into calls of clerk's operations, and their results
into replies. It holds no rules: see ``clerk.chat`` (members, staff, linking) and
``clerk.observers`` (bookings, the waiting list, questions)."""
