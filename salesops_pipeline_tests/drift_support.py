"""CSV exports whose header the drift tests choose cell by cell, and the drift an import
recorded, read back from the import log."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from salesops_pipeline.core.load.drift import Drift

SOURCE = [("Time", "sold_at"), ("Product", "product"), ("Seller", "seller"),
          ("Unit Price", "unit_price"), ("Units", "units"), ("Total Price", "total_price"),
          ("Shipping Company", "shipping_company")]
# Three sales; the first day decides the order (25 is no month). Total = price × units.
SALES = [
    {"day": 25, "month": 11, "product": "Widget", "seller": "Ada", "unit_price": "12.50",
     "units": "2", "shipping_company": "DHL"},
    {"day": 3, "month": 11, "product": "Gadget", "seller": "Grace", "unit_price": "3.25",
     "units": "4", "shipping_company": "UPS"},
    {"day": 7, "month": 11, "product": "Widget", "seller": "Ada", "unit_price": "12.50",
     "units": "1", "shipping_company": "DHL"},
]


def total(sale: dict[str, str | int]) -> Decimal:
    return Decimal(str(sale["unit_price"])) * Decimal(str(sale["units"]))


def write_csv(path: Path, header: list[tuple[str, str | None]], *, order: str = "dmy",
              sales: list[dict[str, str | int]] = SALES) -> list[Decimal]:
    """A comma CSV with ``header`` ((text, sales column or None for another column)) over
    ``sales``, dates written day-first (``dmy``) or month-first (``mdy``); the line totals
    (a sale's own ``total_price``, else unit price × units)."""
    lines = [",".join(text for text, _ in header)]
    for sale in sales:
        day, month = f"{sale['day']:02d}", f"{sale['month']:02d}"
        date = f"{day}/{month}/2026" if order == "dmy" else f"{month}/{day}/2026"
        values = {"sold_at": f"{date} 10:15", **{
            k: str(v) for k, v in sale.items() if k not in ("day", "month")}}
        if "total_price" not in values:
            values["total_price"] = str(total(sale))
        lines.append(",".join(values.get(column or "", "north") for _, column in header))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [Decimal(str(s["total_price"])) if "total_price" in s else total(s) for s in sales]


def recorded_drift(sql, source_file: str) -> Drift | None:
    """The drift of the file's newest import."""
    ((drift,),) = sql("SELECT drift FROM salesops.import_log WHERE source_file = %s"
                      " ORDER BY import_id DESC LIMIT 1", (source_file,))
    return Drift.from_json(drift)


def loaded_totals(sql, source_file: str) -> list[Decimal]:
    return [t for (t,) in sql("SELECT total_price FROM salesops.fact_sales_line"
                              " WHERE source_file = %s ORDER BY source_row_number",
                              (source_file,))]
