"""Background work for the accounts app. Tasks take ids and call services; each is safe to run twice."""

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="accounts.build_data_export")
def build_data_export(export_id: int) -> None:
    try:
        services.data_export_build(export_id=export_id)
    except Exception:
        # The person sees "could not be prepared" and may ask again; we get the traceback.
        logger.exception("Data export %s failed", export_id)
        services.data_export_fail(export_id=export_id)


@shared_task(name="accounts.expire_data_exports")
def expire_data_exports() -> int:
    return services.data_exports_expire()
