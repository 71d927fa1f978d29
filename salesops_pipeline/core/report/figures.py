"""Figures as people write them: money with two decimals, units without trailing zeros.

The warehouse keeps money and units as numeric(24, 6), so a stored revenue reads
``2142715.530000``. Every answer shows it as ``2142715.53``: two decimals, more only where the
stored value has significant digits beyond the cent (``1.2345`` stays ``1.2345``, never rounded
away); units lose their trailing zeros (``3``, ``2.5``). The text is always exactly equal to the
stored value. JSON, CSV, XLSX (through its number formats) and the dashboard all use these.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["MONEY_XLSX_FORMAT", "UNITS_XLSX_FORMAT", "money_text", "units_text"]

# Excel shows at least two and up to six decimals; the cell holds the exact number.
MONEY_XLSX_FORMAT = "#,##0.00####"
# "General" shows a number without trailing zeros (and without a dangling decimal point).
UNITS_XLSX_FORMAT = "General"
_CENT = Decimal("0.01")


def _plain(value: Decimal) -> Decimal:
    """The value without trailing zeros, and zero without a sign."""
    return value.normalize() if value else Decimal(0)


def money_text(value: Decimal) -> str:
    """``Decimal('2142715.530000')`` → ``'2142715.53'``; ``Decimal('1.234500')`` → ``'1.2345'``."""
    plain = _plain(value)
    exponent = plain.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        plain = plain.quantize(_CENT)  # exact: fewer than two decimals only gains zeros
    return f"{plain:f}"


def units_text(value: Decimal) -> str:
    """``Decimal('3.000000')`` → ``'3'``; ``Decimal('2.500000')`` → ``'2.5'``."""
    return f"{_plain(value):f}"
