"""What each scheduled deadline does when it falls due (:mod:`.handlers`); the scheduler adapter
plans them from the state in SQLite."""
