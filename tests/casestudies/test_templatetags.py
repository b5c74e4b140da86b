from decimal import Decimal

import pytest

from casestudies.templatetags.casestudies import outcome_value


@pytest.mark.parametrize("value, unit, shown", [
    (Decimal("420000.00"), "£", "£420,000"),
    (Decimal("1234.50"), "£", "£1,234.50"),
    (Decimal("0.75"), "£", "£0.75"),
    (Decimal("-1500"), "£", "-£1,500"),
    (Decimal("2500000"), "GBP", "£2,500,000"),
    (Decimal("1.2"), "£m", "£1.2m"),
    (Decimal("40"), "£k", "£40k"),
    (Decimal("61.00"), "%", "61%"),
    (Decimal("61.50"), "%", "61.5%"),
    (Decimal("1200"), "people", "1,200 people"),
    (Decimal("2.50"), "tonnes CO2e", "2.5 tonnes CO2e"),
    (Decimal("12"), "", "12"),
    (None, "£", ""),
])
def test_outcome_values_read_the_uk_way(value, unit, shown):
    assert outcome_value(value, unit) == shown
