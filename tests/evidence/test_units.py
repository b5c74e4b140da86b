import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from evidence import years
from evidence.units import UnitKind, format_free_text, format_value, parse_value


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("£420,000", UnitKind.MONEY, Decimal("420000")),
        ("420000", UnitKind.MONEY, Decimal("420000")),
        ("1,234.50", UnitKind.MONEY, Decimal("1234.50")),
        ("61%", UnitKind.PERCENTAGE, Decimal("61")),
        ("61", UnitKind.PERCENTAGE, Decimal("61")),
        ("100", UnitKind.PERCENTAGE, Decimal("100")),
        ("1,200", UnitKind.COUNT, Decimal("1200")),
        ("3.5 tCO2e", UnitKind.TONNES_CO2E, Decimal("3.5")),
        ("1,200 m²", UnitKind.AREA, Decimal("1200")),
        ("0", UnitKind.COUNT, Decimal("0")),
    ],
)
def test_it_reads_values_as_people_type_them(text, kind, expected):
    assert parse_value(text, kind) == expected


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("140", UnitKind.PERCENTAGE, "Enter a percentage between 0 and 100"),
        ("140%", UnitKind.PERCENTAGE, "Enter a percentage between 0 and 100"),
        ("£420", UnitKind.COUNT, "Enter a whole number, not a sum of money"),
        ("12.5", UnitKind.COUNT, "Enter a whole number"),
        ("-3", UnitKind.COUNT, "Enter a whole number of 0 or more"),
        ("-£5", UnitKind.MONEY, "Enter an amount in pounds of 0 or more"),
        ("61%", UnitKind.MONEY, "Enter an amount in pounds, not a percentage"),
        ("lots", UnitKind.COUNT, "Enter a whole number as a number, like 1,200"),
        ("1,2,3", UnitKind.COUNT, "Enter a whole number as a number, like 1,200"),
        ("1.234", UnitKind.MONEY, "Enter an amount in pounds with no more than 2 decimal places"),
        ("", UnitKind.MONEY, "Enter a value"),
    ],
)
def test_it_refuses_values_that_do_not_fit_the_kind(text, kind, message):
    with pytest.raises(ValidationError) as raised:
        parse_value(text, kind)
    assert raised.value.messages == [message]


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (Decimal("420000"), UnitKind.MONEY, "£420,000"),
        (Decimal("1234.5"), UnitKind.MONEY, "£1,234.50"),
        (Decimal("61.00"), UnitKind.PERCENTAGE, "61%"),
        (Decimal("8.5"), UnitKind.PERCENTAGE, "8.5%"),
        (Decimal("1200"), UnitKind.COUNT, "1,200"),
        (Decimal("3.50"), UnitKind.TONNES_CO2E, "3.5 tCO2e"),
        (Decimal("1200"), UnitKind.AREA, "1,200 m²"),
        (None, UnitKind.COUNT, ""),
    ],
)
def test_it_formats_values_the_uk_way(value, kind, expected):
    assert format_value(value, kind) == expected


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ("420000", "£", "£420,000"),
        ("1.2", "£m", "£1.2m"),
        ("61", "%", "61%"),
        ("1200", "people", "1,200 people"),
        ("3.5", "tCO2e", "3.5 tCO2e"),
    ],
)
def test_free_text_units_are_formatted_the_same_way(value, unit, expected):
    assert format_free_text(Decimal(value), unit) == expected


def test_financial_years_run_april_to_march():
    assert years.year_of(datetime.date(2025, 3, 31)) == 2024
    assert years.year_of(datetime.date(2025, 4, 1)) == 2025
    assert years.label(2024) == "2024/25"
    assert years.label(2099) == "2099/00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2024/25", 2024), ("2024-25", 2024), ("2024/2025", 2024), ("2024", 2024), ("2024/26", None), ("24/25", None), ("", None)],
)
def test_it_reads_financial_years(text, expected):
    assert years.parse(text) == expected


def test_year_choices_never_include_a_year_that_has_not_started():
    assert max(year for year, _ in years.choices()) == years.current()
