"""Load the ODS trusts file (etr.csv) into listed organisations.

The file has no header row. Columns: 0 ODS code, 1 name, 2 national grouping (the NHS England
region code, Y56...Y63), 3 high-level health geography (the ICB code), 4-8 address lines,
9 postcode, 10 open date (YYYYMMDD), 11 close date (YYYYMMDD or empty). Rows are matched by ODS
code, so loading the same file again changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.text import slugify

from .models import IntegratedCareBoard, Organisation, Region

MIN_COLUMNS = 12
ODS_CODE = re.compile(r"^[A-Z0-9]{3,6}$")
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")


class NotAnOdsFile(ValueError):
    """The file is not the ODS trusts format at all."""


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.closed} closed, {len(self.rejected)} rejected"
        )


def _date(value: str, line: int, column: str) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.datetime.strptime(value, "%Y%m%d").date()  # noqa: DTZ007 - a calendar date
    except ValueError as error:
        raise ValueError(f"line {line}: {column} {value!r} is not a date (YYYYMMDD)") from error


def guess_type(name: str) -> str:
    lowered = name.lower()
    if "ambulance" in lowered:
        return Organisation.Type.AMBULANCE_TRUST
    if "mental health" in lowered or "partnership" in lowered:
        return Organisation.Type.MENTAL_HEALTH_TRUST
    if "community" in lowered:
        return Organisation.Type.COMMUNITY_TRUST
    return Organisation.Type.ACUTE_TRUST


def _tidy_name(name: str) -> str:
    """ODS names are upper case; show them as people write them."""
    words = []
    for word in name.split():
        if word in {"NHS", "UK"}:
            words.append(word)
        elif word.lower() in {"and", "of", "the", "for"} and words:
            words.append(word.lower())
        else:
            words.append(word.capitalize() if word.isupper() else word)
    return " ".join(words)


def read_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """Decode and split the file, refusing anything that is not the ODS CSV format."""
    if b"\x00" in data[:4096]:
        raise NotAnOdsFile("This is a binary file, not the ODS trusts CSV (etr.csv).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as error:
            raise NotAnOdsFile("The file is not readable text.") from error
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype", "<html", "<?xml", "{", "[")):
        raise NotAnOdsFile("This looks like a web page or JSON, not the ODS trusts CSV (etr.csv).")
    rows = [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text)), start=1) if any(c.strip() for c in row)]
    if not rows:
        raise NotAnOdsFile("The file is empty.")
    first = rows[0][1]
    if len(first) < MIN_COLUMNS:
        raise NotAnOdsFile(
            f"The first row has {len(first)} columns; the ODS trusts file has at least {MIN_COLUMNS}."
        )
    if not (ODS_CODE.match(first[0].strip()) and re.fullmatch(r"\d{8}", first[10].strip())):
        raise NotAnOdsFile(
            f"The first row ({', '.join(first[:3])}...) is not an organisation with an ODS code and an "
            "open date: the ODS trusts file has no header row."
        )
    return rows


def import_ods(data: bytes) -> ImportResult:
    rows = read_rows(data)
    regions = {r.code: r for r in Region.objects.all()}
    icbs = {i.code: i for i in IntegratedCareBoard.objects.all()}
    existing = {o.ods_code: o for o in Organisation.objects.exclude(ods_code="")}
    slugs = set(Organisation.objects.values_list("slug", flat=True))
    result = ImportResult()
    seen: set[str] = set()
    with transaction.atomic():
        for line, row in rows:
            try:
                values = _parse(line, row, regions, icbs)
            except ValueError as error:
                result.rejected.append((line, str(error)))
                continue
            code = values.pop("ods_code")
            if code in seen:
                result.rejected.append((line, f"line {line}: ODS code {code} appears twice"))
                continue
            seen.add(code)
            organisation = existing.get(code)
            if organisation is None:
                slug = base = slugify(values["name"])[:180]
                n = 2
                while slug in slugs:
                    slug, n = f"{base}-{n}", n + 1
                slugs.add(slug)
                Organisation.objects.create(
                    ods_code=code,
                    slug=slug,
                    type=guess_type(values["name"]),
                    status=Organisation.Status.LISTED,
                    **values,
                )
                result.created += 1
                if values["closed_on"]:
                    result.closed += 1
                continue
            was_open = organisation.closed_on is None
            changed = [f for f, v in values.items() if getattr(organisation, f"{f}_id" if f in ("region", "icb") else f) != (v.pk if hasattr(v, "pk") else v)]
            if not changed:
                result.unchanged += 1
                continue
            for f in changed:
                setattr(organisation, f, values[f])
            organisation.save(update_fields=[*changed, "updated_at"])
            result.updated += 1
            if was_open and organisation.closed_on:
                result.closed += 1
    return result


def _parse(line: int, row: list[str], regions: dict, icbs: dict) -> dict:
    if len(row) < MIN_COLUMNS:
        raise ValueError(f"line {line}: {len(row)} columns, expected {MIN_COLUMNS}")
    cells = [c.strip() for c in row]
    code = cells[0].upper()
    if not ODS_CODE.match(code):
        raise ValueError(f"line {line}: {cells[0]!r} is not an ODS code")
    if not cells[1]:
        raise ValueError(f"line {line}: the name is missing")
    region = regions.get(cells[2].upper())
    if region is None:
        raise ValueError(f"line {line}: unknown national grouping {cells[2]!r}")
    postcode = cells[9].upper()
    if postcode and not POSTCODE.match(postcode):
        raise ValueError(f"line {line}: {cells[9]!r} is not a postcode")
    return {
        "ods_code": code,
        "name": _tidy_name(cells[1])[:200],
        "region": region,
        "icb": icbs.get(cells[3].upper()),
        "postcode": postcode,
        "opened_on": _date(cells[10], line, "open date"),
        "closed_on": _date(cells[11], line, "close date"),
    }
