from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class ClientRateThrottle(SimpleRateThrottle):
    """Requests per client address, counted in the default cache (Redis in a deployment, so
    every web process shares the count)."""

    scope = "client"

    def get_rate(self) -> str:
        # Read when each request is checked, not when the class is imported.
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
