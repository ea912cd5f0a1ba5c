"""Background work of targeted push. Tasks take ids and are idempotent: a delivery already
sent is not sent again."""

from __future__ import annotations

from django_tasks import task

from gaoxin.notifications import services


@task()
def send_message(message_id: int) -> int:
    return services.send_message(message_id)


@task()
def send_delivery_task(delivery_id: int) -> str:
    return str(services.send_delivery(delivery_id).status)


@task()
def retry_failed_deliveries() -> int:
    """Enqueue periodically (cron or a scheduler): sends failed deliveries again."""
    return services.retry_failed()
