"""The records people read: a meeting as the facilitator sees it and a body's summary
(:mod:`.views`), the console's dashboard (:mod:`.dashboard`: import ``dashboard`` from there, the
function has the module's name), and the static website section a body publishes
(:mod:`.publish`).

Its public operations and types are gathered here for the adapters (mail, bot, the CLI); modules
inside clerk import the module that defines a name.
"""

from clerk.records.publish import publish_site
from clerk.records.views import Ratification, body_summary, meeting_view, ratification

__all__ = ["Ratification", "body_summary", "meeting_view", "publish_site", "ratification"]
