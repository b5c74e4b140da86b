"""Request hygiene that every page needs, applied once before any view reads the request."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, QueryDict


class StripNulBytesMiddleware:
    """Drop NUL bytes from the query string's names and values.

    Nobody types one, but a link can carry `%00`, and PostgreSQL refuses NUL in any text it is
    given: a search or a filter holding one would answer 500 wherever the parameter reaches a
    query. Cleaning it here covers every page that reads the query string, present and future.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "%00" in request.META.get("QUERY_STRING", "") or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            cleaned = QueryDict(mutable=True)
            for key, values in request.GET.lists():
                cleaned.setlist(key.replace("\x00", ""), [v.replace("\x00", "") for v in values])
            cleaned._mutable = False
            request.GET = cleaned
            request.META["QUERY_STRING"] = cleaned.urlencode()
        return self.get_response(request)
