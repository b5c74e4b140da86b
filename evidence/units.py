"""Values of standard measures, typed by their unit kind: read the way people type them
("£420,000", "420000", "61%", "3.5") and written the UK way (£420,000, 61%, 1,200,
3.5 tCO2e, 1,200 m²). The one place that decides both, for annual figures, commitments and
case-study outcomes alike.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

# The largest value a DecimalField(max_digits=16, decimal_places=2) holds.
MAX_VALUE = Decimal("99999999999999.99")


class UnitKind(models.TextChoices):
    PERCENTAGE = "percentage", gettext_lazy("Percentage (%)")
    MONEY = "money", gettext_lazy("Money (£)")
    COUNT = "count", gettext_lazy("Count")
    TONNES_CO2E = "tonnes_co2e", gettext_lazy("Tonnes of CO2e")
    AREA = "area", gettext_lazy("Area (m²)")


# What each kind is called in a short unit column (a case study's "unit" text), and the suffix
# people may type after a number of that kind.
UNIT_LABELS = {
    UnitKind.PERCENTAGE: "%",
    UnitKind.MONEY: "£",
    UnitKind.COUNT: "",
    UnitKind.TONNES_CO2E: "tCO2e",
    UnitKind.AREA: "m²",
}
_SUFFIXES = {
    UnitKind.PERCENTAGE: ("%", "percent", "per cent"),
    UnitKind.TONNES_CO2E: ("tco2e", "tonnes co2e", "tonnes", "t"),
    UnitKind.AREA: ("m²", "m2", "sq m", "square metres"),
}
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


def unit_label(kind: str) -> str:
    return UNIT_LABELS.get(kind, "")


def parse_value(text, kind: str) -> Decimal:
    """The number in `text` for a measure of this kind, or ValidationError with a message to
    show beside the field. Accepts thousands separators, a £ on money and the kind's own unit;
    refuses a percentage over 100, money or a fraction in a count, and negative amounts."""
    raw = str(text) if isinstance(text, (int, Decimal)) else (text or "").strip()
    if not raw:
        raise ValidationError(_("Enter a value"), code="required")
    lowered = raw.lower()
    if lowered.startswith("£") or lowered.startswith("-£"):
        if kind != UnitKind.MONEY:
            raise ValidationError(
                _("Enter %(what)s, not a sum of money") % {"what": _what(kind)}, code="money_in_wrong_kind"
            )
        lowered = lowered.replace("£", "", 1)
    for suffix in sorted(_SUFFIXES.get(kind, ()), key=len, reverse=True):
        if lowered.endswith(suffix):
            lowered = lowered[: -len(suffix)].strip()
            break
    if lowered.endswith("%") and kind != UnitKind.PERCENTAGE:
        raise ValidationError(
            _("Enter %(what)s, not a percentage") % {"what": _what(kind)}, code="percentage_in_wrong_kind"
        )
    lowered = lowered.strip()
    if not _NUMBER.match(lowered):
        raise ValidationError(
            _("Enter %(what)s as a number, like %(example)s") % {"what": _what(kind), "example": _example(kind)},
            code="invalid",
        )
    try:
        number = Decimal(lowered.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern above only lets numbers through
        raise ValidationError(_("Enter %(what)s as a number") % {"what": _what(kind)}, code="invalid") from None
    validate_value(number, kind)
    return number


def validate_value(number: Decimal, kind: str) -> None:
    """The rules a number must meet for its kind (used on parsed text and on stored values)."""
    if number < 0:
        raise ValidationError(_("Enter %(what)s of 0 or more") % {"what": _what(kind)}, code="negative")
    if number > MAX_VALUE:
        raise ValidationError(
            _("Enter %(what)s smaller than %(largest)s") % {"what": _what(kind), "largest": format_value(MAX_VALUE, kind)},
            code="too_large",
        )
    if kind == UnitKind.PERCENTAGE and number > 100:
        raise ValidationError(_("Enter a percentage between 0 and 100"), code="percentage_over_100")
    if kind == UnitKind.COUNT and number != number.to_integral_value():
        raise ValidationError(_("Enter a whole number"), code="fraction_in_count")
    if number.as_tuple().exponent < -2:
        raise ValidationError(
            _("Enter %(what)s with no more than 2 decimal places") % {"what": _what(kind)}, code="too_precise"
        )


def _what(kind: str) -> str:
    """What to enter, as the object of "Enter ..." (its own context, so Welsh can mutate it)."""
    return {
        UnitKind.PERCENTAGE: pgettext("object of Enter", "a percentage"),
        UnitKind.MONEY: pgettext("object of Enter", "an amount in pounds"),
        UnitKind.COUNT: pgettext("object of Enter", "a whole number"),
        UnitKind.TONNES_CO2E: pgettext("object of Enter", "tonnes of CO2e"),
        UnitKind.AREA: pgettext("object of Enter", "an area in square metres"),
    }.get(kind) or pgettext("object of Enter", "a number")


def _example(kind: str) -> str:
    return {
        UnitKind.PERCENTAGE: "61",
        UnitKind.MONEY: "£420,000",
        UnitKind.COUNT: "1,200",
        UnitKind.TONNES_CO2E: "3.5",
        UnitKind.AREA: "1,200",
    }.get(kind, "1,200")


def format_number(value: Decimal, *, pence: bool = False) -> str:
    """Thousands separated; decimals only when there are some (always two for pence)."""
    if pence and value != value.to_integral_value():
        return f"{value:,.2f}"
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_value(value, kind: str) -> str:
    """£420,000 / £1,234.50 / 61% / 1,200 / 3.5 tCO2e / 1,200 m²; "" for no value."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    sign, number = ("-" if number < 0 else ""), abs(number)
    if kind == UnitKind.MONEY:
        return f"{sign}£{format_number(number, pence=True)}"
    if kind == UnitKind.PERCENTAGE:
        return f"{sign}{format_number(number)}%"
    if kind == UnitKind.TONNES_CO2E:
        return f"{sign}{format_number(number)} tCO2e"
    if kind == UnitKind.AREA:
        return f"{sign}{format_number(number)} m²"
    return f"{sign}{format_number(number)}"


# Free-text units of case-study outcomes written before standard measures, read as a kind.
MONEY_UNITS = {"£", "gbp", "pounds", "pounds sterling"}
MONEY_SUFFIXES = {"k", "m", "bn"}


def format_free_text(value, unit: str = "") -> str:
    """A value with a free-text unit, the same UK way: £420,000, £1.2m, 61%, 1,200 people."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return f"{value} {unit}".strip()
    unit = (unit or "").strip()
    sign, number = ("-" if number < 0 else ""), abs(number)
    if unit.lower() in MONEY_UNITS:
        return f"{sign}£{format_number(number, pence=True)}"
    if unit.startswith("£"):
        rest = unit[1:].strip()
        joiner = "" if rest.lower() in MONEY_SUFFIXES else " "
        return f"{sign}£{format_number(number)}{joiner}{rest}"
    if unit == "%":
        return f"{sign}{format_number(number)}%"
    return f"{sign}{format_number(number)} {unit}".strip()
