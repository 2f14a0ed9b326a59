"""What an incoming email means and what to do about it: the message as the domain sees it
(:mod:`.message`), the pipeline that routes it (:mod:`.inbox`), each purpose (:mod:`.rsvp`,
:mod:`.vote`, :mod:`.agenda`), bounces (:mod:`.bounces`) and what clerk writes back
(:mod:`.responses`). The wire format (MIME) stays in the top-level ``mail`` adapter."""
