"""Observers at public meetings: places (:mod:`.places`), bookings (:mod:`.bookings`), the
waiting list (:mod:`.waiting`), questions (:mod:`.questions`) and their scheduled work
(:mod:`.jobs`)."""
