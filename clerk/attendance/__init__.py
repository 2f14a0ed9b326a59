"""Attendance: inviting a body to a meeting and telling everyone when it moves
(:mod:`.invitations`), the replies (:mod:`.replies`, :mod:`.substitute_notices`), the quorum
forecast (:mod:`.quorum`), the register on the day (:mod:`.register`), and the decisions taken
(:mod:`.decisions`)."""
