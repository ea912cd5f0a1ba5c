import datetime as dt

from django.dispatch import Signal

# Sent after commit with `enterprise_id` when an enterprise's data changed; policy matching
# listens to re-match that one enterprise.
enterprise_changed = Signal()

# Sent after commit when event records were written: a certificate recorded or imported
# (field = its kind, on = the grant date), a landing date set (field = "landed_at").
# `events`: [(enterprise id, field, key)]; the key names the event, so the same record written
# again sends the same key. Event awards (policies.event_awards) listen.
events_recorded = Signal()

Event = tuple[int, str, str]


def event(enterprise_id: int, field: str, on: dt.date) -> Event:
    return (enterprise_id, field, f"{field}:{on.isoformat()}")


def queue_events(events: list[Event]) -> None:
    """Send `events_recorded` once the transaction commits (nothing when there are none)."""
    if not events:
        return
    from django.db import transaction

    batch = list(events)
    transaction.on_commit(lambda: events_recorded.send(sender=None, events=batch))
