from django.dispatch import Signal

# Sent after commit with `enterprise_id` when an enterprise's data changed; policy matching
# listens to re-match that one enterprise.
enterprise_changed = Signal()
