"""A realistic sample workbook, written on first `make up` so a new user sees real figures.

It looks like what the source system's export gives: a title and a "generated at" line above
its header (Time, Product, Seller, Unit Price, Units, Total Price, Shipping Company), a few
text-typed dates and amounts, a handful of lines a data-quality check will flag, and under the
lines a grand total (which the import reconciles with the lines) and an "exported from" note.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import xlsxwriter

PRODUCTS = {
    "Laptop Pro 14": Decimal("1299.00"), "Laptop Air 13": Decimal("999.00"),
    "USB-C Dock": Decimal("189.90"), "27\" Monitor": Decimal("329.50"),
    "Wireless Mouse": Decimal("24.99"), "Mechanical Keyboard": Decimal("89.00"),
    "Noise-cancelling Headset": Decimal("149.00"), "Webcam HD": Decimal("59.95"),
    "Office Chair": Decimal("249.00"), "Standing Desk": Decimal("549.00"),
}
SELLERS = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson", "Linus Torvalds",
           "Margaret Hamilton"]
SHIPPERS = ["DHL", "UPS", "FedEx", "La Poste", None]
# The source system's export header, as its exports have it, plus a free-text column.
HEADER = ["Time", "Product", "Seller", "Unit Price", "Units", "Total Price", "Shipping Company",
          "Notes"]


def write_sample_workbook(path: Path, *, rows: int = 2000, seed: int = 7,
                          start: datetime | None = None) -> Path:
    """Write ``rows`` sales lines spread over the eight weeks before ``start`` (default today)."""
    rng = random.Random(seed)
    end = (start or datetime.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    begin = end - timedelta(weeks=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")  # hidden while being written: the sensor skips it
    book = xlsxwriter.Workbook(str(tmp))
    sheet = book.add_worksheet("Sales")
    when_fmt = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    money_fmt = book.add_format({"num_format": "#,##0.00"})
    sheet.write(0, 0, "Sales export — all regions")
    sheet.write(1, 0, f"Generated at {datetime.now():%Y-%m-%d %H:%M}")
    sheet.write_row(3, 0, HEADER)
    grand_units, grand_total = 0, Decimal(0)
    for i in range(rows):
        r = 4 + i
        sold_at = begin + timedelta(minutes=rng.randrange(int((end - begin).total_seconds() // 60)))
        product = rng.choice(list(PRODUCTS))
        price = PRODUCTS[product]
        units = rng.choice([1, 1, 1, 2, 2, 3, 5, 10])
        total = (price * units).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if i % 97 == 5:
            total += Decimal("1.00")  # a line the data-quality check flags
        if i % 50 == 3:
            sheet.write_string(r, 0, sold_at.strftime("%Y-%m-%d %H:%M"))
        else:
            sheet.write_datetime(r, 0, sold_at, when_fmt)
        sheet.write_string(r, 1, product)
        sheet.write_string(r, 2, rng.choice(SELLERS))
        sheet.write_number(r, 3, float(price), money_fmt)
        sheet.write_number(r, 4, units)
        if i % 40 == 7:
            sheet.write_string(r, 5, f"${total:,.2f}")
        else:
            sheet.write_number(r, 5, float(total), money_fmt)
        shipper = rng.choice(SHIPPERS)
        if shipper:
            sheet.write_string(r, 6, shipper)
        grand_units += units
        grand_total += total
    bold_money = book.add_format({"num_format": "#,##0.00", "bold": True})
    sheet.write_string(4 + rows, 0, "Grand Total", book.add_format({"bold": True}))
    sheet.write_number(4 + rows, 4, grand_units)
    sheet.write_number(4 + rows, 5, float(grand_total), bold_money)
    sheet.write_string(6 + rows, 0, f"Exported from CRM on {datetime.now():%Y-%m-%d %H:%M}")
    book.close()
    tmp.replace(path)
    return path
