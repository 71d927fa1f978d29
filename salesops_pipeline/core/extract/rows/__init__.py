"""Rows and cells: one row of raw cells into a sales line or a quarantined row with reasons, the
rows that are not sales (totals, notes, repeated headers), exact cells, date order and names."""
