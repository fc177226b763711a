"""Keep-in-touch reminders, a built-in plugin: `rolo daemon` says who is overdue for contact.

It registers like any third-party plugin (`reminders = "rolo.plugins.reminders"` under
`[project.entry-points.rolo]`) and offers `rolo daemon` the `reminders` service: at start, then once a day,
it writes one line per overdue contact to the daemon's log (most overdue first) and calls the `contact_due`
hook for each, so a plugin can notify (a desktop notification, a mail, a chat message). A book with no
cadence (`rolo keep`) when the daemon starts leaves the service out.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from rolo.core.hookspecs import hookimpl

if TYPE_CHECKING:
    from rolo.core.sync.service import ServiceContext

SERVICE = "reminders"
#: Seconds between two looks at who is due (a daemon's `due_every` option changes it: the tests do).
DAY = 24 * 3600.0


@hookimpl
def register_services(register: Any) -> None:
    """Offer the reminders to `rolo daemon` as the `reminders` service."""
    register(SERVICE, reminders_service)


def reminders_service(context: ServiceContext) -> Reminders | None:
    """The `reminders` service, or None when the book has no cadence to remind of."""
    if not context.book.cadences():
        return None
    return Reminders(context, float(context.options.get("due_every") or DAY))


class Reminders:
    """Looks at who is due every `every` seconds until stopped (a `rolo.core.sync.service.Service`)."""

    def __init__(self, context: ServiceContext, every: float) -> None:
        self.context = context
        self.every = every

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.remind()
            deadline = time.monotonic() + self.every
            while not stop.is_set() and time.monotonic() < deadline:
                stop.wait(min(1.0, max(0.0, deadline - time.monotonic())))

    def remind(self) -> int:
        """Log each overdue contact and call `contact_due` for it; returns how many are overdue. A plugin
        that fails is logged, and the others still hear of every contact."""
        book, log = self.context.book, self.context.log
        overdue = [d for d in book.due() if d.overdue_days > 0]
        if not overdue:
            log("reminders: nobody is overdue")
            return 0
        hook = self.context.plugin_manager.hook.contact_due
        for due in overdue:
            last = f"last contacted {due.last_contacted[:10]}" if due.last_contacted else "never contacted"
            log(f"reminders: {due.name} is {due.describe()} ({last}; {due.source})")
            for impl in hook.get_hookimpls():
                try:
                    impl.function(book=book, contact=book.get(due.uid), due=due)
                except Exception as exc:  # one plugin's failure must not silence the reminder for the others
                    log(f"Error: reminders: plugin {impl.plugin_name} failed on {due.name}: "
                        f"{type(exc).__name__}: {exc}")
        return len(overdue)
