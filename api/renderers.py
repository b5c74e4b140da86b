"""CSV of any list the API returns, one row per item: nested objects become dotted columns
(organisation.name), lists become one cell joined with "; "."""

from __future__ import annotations

import csv
import io

from rest_framework.renderers import BaseRenderer
from rest_framework.serializers import Serializer

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def flatten(item, prefix: str = "") -> dict:
    row = {}
    for key, value in item.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            row.update(flatten(value, f"{name}."))
        elif isinstance(value, list):
            row[name] = "; ".join(_describe(v) for v in value)
        else:
            row[name] = value
    return row


def _columns(serializer, prefix: str = "") -> list[str]:
    columns = []
    for name, field in serializer.fields.items():
        if isinstance(field, Serializer):
            columns.extend(_columns(field, f"{prefix}{name}."))
        else:
            columns.append(f"{prefix}{name}")
    return columns


def _describe(value) -> str:
    if isinstance(value, dict):
        # An outcome, a figure or a pillar in a list: its most telling fields, in order.
        return ", ".join(str(v) for v in value.values() if v not in (None, "") and not isinstance(v, dict | list))
    return str(value)


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            items = data["results"]
        elif isinstance(data, list):
            items = data
        else:
            items = [data]
        rows = [flatten(item) if isinstance(item, dict) else {"value": item} for item in items]
        columns: list[str] = []
        for row in rows:
            columns.extend(c for c in row if c not in columns)
        view = renderer_context.get("view")
        if not columns and hasattr(view, "get_serializer"):
            columns = _columns(view.get_serializer())  # an empty list still has its headings
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([safe_cell(c) for c in columns])
        for row in rows:
            writer.writerow([safe_cell(row.get(c)) for c in columns])
        response = renderer_context.get("response")
        if response is not None:
            name = getattr(view, "csv_name", "data")
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return out.getvalue().encode("utf-8")
