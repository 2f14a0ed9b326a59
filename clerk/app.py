"""The application context every service function receives: configuration, store and clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from clerk.clock import Clock, SystemClock
from clerk.config import Config, load_config
from clerk.errors import NotFound
from clerk.ops.files import private_umask
from clerk.rules.terms import Body
from clerk.store import Store, open_store


@dataclass
class Clerk:
    """What a service needs: the config, the store and the clock (a fake one in tests)."""

    config: Config
    store: Store
    clock: Clock = field(default_factory=SystemClock)

    @property
    def tz(self) -> ZoneInfo:
        return self.config.timezone

    def body(self, slug: str) -> Body:
        try:
            return self.config.bodies[slug]
        except KeyError:
            known = ", ".join(sorted(self.config.bodies))
            raise NotFound(f'there is no body "{slug}" in the configuration (known: {known})') \
                from None


def open_clerk(config_path: Path | str, *, clock: Clock | None = None,
               memory: bool = False) -> Clerk:
    """Load the configuration and open its database.

    From here on the process creates files 0600 and folders 0700: the database, its -wal and -shm,
    the Maildir folders and messages hold personal data (clerk.ops.files).
    """
    private_umask()
    config = load_config(config_path)
    store = open_store(config.database_path, memory=memory)
    return Clerk(config=config, store=store, clock=clock or SystemClock())
