from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "insight"
    verbose_name = "Network insight"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from .db import add_sqlite_percentile

        # SQLite has no percentile aggregate; each new connection gets one (see db.py).
        connection_created.connect(add_sqlite_percentile, dispatch_uid="insight_sqlite_percentile")
