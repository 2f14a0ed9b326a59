"""Action points agreed at meetings (:mod:`.model`, changed by the operations of :mod:`.log`,
emailed about by :mod:`.notices`): read from the minutes, added by hand, owned
by a member or a named person, reminded before they are due, answered by their owners, and
shown on the next agenda and the published site.

Its public operations and types are gathered here for the adapters (mail, bot, the CLI, the
console); modules inside clerk import the module that defines a name.
"""

from clerk.actions.log import add_action, read_from_minutes, record_update, update_action
from clerk.actions.model import (
    Action,
    ActionResult,
    AddAction,
    MinutesActions,
    RecordUpdate,
    UpdateAction,
    get_action,
    list_actions,
)

__all__ = [
    "Action",
    "ActionResult",
    "AddAction",
    "MinutesActions",
    "RecordUpdate",
    "UpdateAction",
    "add_action",
    "get_action",
    "list_actions",
    "read_from_minutes",
    "record_update",
    "update_action",
]
