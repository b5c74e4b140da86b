from celery import shared_task
from django.conf import settings
from django.utils import translation

from .selectors import TABLES, build_table


@shared_task(name="insight.refresh_tables")
def refresh_tables() -> None:
    """Rebuild every insight table into the cache, in every language of the site, so no page
    waits for one to be worked out. Safe to run twice: each run replaces the tables with fresh ones."""
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for key in TABLES:
                build_table(key)
