"""Every error answers JSON: {"status": 404, "error": "Not found", "detail": "..."}.

`status` and `error` are for programs and stay the same in every language; `detail` is the
sentence a person reads, in the language of the request."""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

MESSAGES = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    429: "Too many requests",
}


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, exceptions.NotFound) and str(exc.detail) in ("Not found.", "Invalid page."):
        exc = exceptions.NotFound(_("There is nothing at this address, or the page number is past the end."))
    if isinstance(exc, exceptions.Throttled):
        exc.detail = (
            _("Too many requests from your address. Try again in %(seconds)s seconds.")
            % {"seconds": f"{exc.wait or 1:.0f}"}
            if exc.wait is not None else _("Too many requests from your address. Try again shortly.")
        )
    response = drf_exception_handler(exc, context)
    if response is not None:
        detail = response.data.get("detail", response.data) if isinstance(response.data, dict) else response.data
        response.data = {"status": response.status_code, "error": MESSAGES.get(response.status_code, "Error"),
                         "detail": detail}
    return response


def not_found(request, *args, **kwargs):
    """Any address under /api/ that is not an endpoint."""
    return JsonResponse(
        {"status": 404, "error": "Not found", "detail": _("There is no endpoint at this address. See /api/v1/.")},
        status=404,
    )
