from __future__ import annotations

import csv

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render

from .selectors import TABLES, can_see_moderation, table, tables_for

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def insight(request):
    return render(
        request,
        "insight/insight.html",
        {"nav": "insight", "tables": tables_for(request.user), "detail": can_see_moderation(request.user)},
    )


def table_csv(request, key: str):
    if key not in TABLES:
        raise Http404
    _build, private = TABLES[key]
    if private and not can_see_moderation(request.user):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise PermissionDenied
    found = table(key)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{found.key}.csv"'
    writer = csv.writer(response)
    writer.writerow([csv_cell(c) for c in found.columns])
    for row in found.rows:
        writer.writerow([csv_cell(c) for c in row])
    return response
