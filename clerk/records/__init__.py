"""The records people read: a meeting as the facilitator sees it and a body's summary
(:mod:`.views`), the console's dashboard (:mod:`.dashboard`), and the static website section a
body publishes (:mod:`.publish`).

Its public operations and types are gathered here for the adapters (mail, bot, the CLI); modules
inside clerk import the module that defines a name.
"""

from clerk.records.dashboard import Attention, Dashboard, dashboard
from clerk.records.publish import publish_site
from clerk.records.views import Ratification, body_summary, meeting_view, ratification

__all__ = ["Attention", "Dashboard", "Ratification", "body_summary", "dashboard", "meeting_view",
           "publish_site", "ratification"]
