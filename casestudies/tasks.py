from celery import shared_task

from . import caching


@shared_task(ignore_result=True)
def rebuild_facet_summary() -> None:
    """Recount the facet summary of every published case study (safe to run twice: the last
    build wins, and each counts everything committed before it started)."""
    caching.rebuild_facet_summary()
