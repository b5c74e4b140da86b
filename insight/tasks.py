from celery import shared_task

from .selectors import TABLES, build_table


@shared_task(name="insight.refresh_tables")
def refresh_tables() -> None:
    """Rebuild every insight table into the cache, so no page waits for one to be worked out.
    Safe to run twice: each run replaces the tables with fresh ones."""
    for key in TABLES:
        build_table(key)
