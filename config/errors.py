"""Error pages rendered in the site's own layout."""

from django.http import HttpRequest, HttpResponse
from django.template import loader


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return HttpResponse(loader.render_to_string("403.html", request=request), status=403)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return HttpResponse(loader.render_to_string("404.html", request=request), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: whatever broke may be in a context processor or the database.
    return HttpResponse(loader.render_to_string("500.html"), status=500)
