"""People and their seats: finding or creating a person (:mod:`.directory`), the membership
imported from CSV (:mod:`.membership`), and the configured bodies mirrored into the store
(:mod:`.bodies`)."""
