"""Bodies: the configuration's bodies mirrored into the store, so rows can refer to them."""

from __future__ import annotations

from clerk.app import Clerk
from clerk.store import audit
from clerk.store.rows import execute, fetch_all
from clerk.times import to_iso


def sync_bodies(app: Clerk) -> list[str]:
    """Insert or rename the configured bodies; returns the slugs that changed. Safe to repeat."""
    changed = []
    now = app.clock.now()
    existing = {r["slug"]: r["name"] for r in fetch_all(app.store.db,
                                                        "SELECT slug, name FROM bodies")}
    wanted = {slug: body.name for slug, body in app.config.bodies.items()}
    if all(existing.get(slug) == name for slug, name in wanted.items()):
        return []
    with app.store.write() as db:
        for slug, name in wanted.items():
            if existing.get(slug) != name:
                execute(db, "INSERT INTO bodies (slug, name, loaded_at) VALUES (?, ?, ?) "
                            "ON CONFLICT (slug) DO UPDATE SET name = excluded.name, "
                            "loaded_at = excluded.loaded_at", [slug, name, to_iso(now)])
                changed.append(slug)
        audit.record(db, at=now, actor="facilitator", action="bodies.sync", subject="bodies",
                     detail={"changed": changed})
    return changed
