"""The Telegram adapter: turns chat updates into calls of clerk's services, and their results into
replies. It holds no rules: see ``clerk/observers/bookings.py``, ``chat_members.py`` and friends."""
