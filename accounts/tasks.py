"""Background work for the accounts app. Tasks take ids and call services; each is safe to run twice."""

import datetime
import logging

from celery import shared_task
from django.utils import timezone

from resilience.broker import safe_delay

from . import services
from .models import DataExport

logger = logging.getLogger(__name__)


@shared_task(name="accounts.build_data_export")
def build_data_export(export_id: int) -> None:
    try:
        services.data_export_build(export_id=export_id)
    except Exception:
        # The person sees "could not be prepared" and may ask again; we get the traceback.
        logger.exception("Data export %s failed", export_id)
        services.data_export_fail(export_id=export_id)


# A build finishes in seconds; one still 'preparing' this long after it was asked for lost its task
# (the broker was down when it was queued, or the worker died).
REQUEUE_EXPORTS_AFTER = datetime.timedelta(minutes=10)


@shared_task(name="accounts.requeue_data_exports")
def requeue_data_exports() -> int:
    """Every few minutes: queue again the exports whose task was lost, until the hourly task gives
    up on them. Building is safe to run twice. Returns how many it queued."""
    now = timezone.now()
    waiting = DataExport.objects.in_progress().filter(
        created_at__lt=now - REQUEUE_EXPORTS_AFTER, created_at__gte=now - services.EXPORT_GIVE_UP_AFTER
    )
    queued = 0
    for export_id in waiting.values_list("pk", flat=True):
        if not safe_delay(build_data_export, export_id):
            break  # the broker is still down: the next run tries again
        queued += 1
    return queued


@shared_task(name="accounts.expire_data_exports")
def expire_data_exports() -> int:
    return services.data_exports_expire()
