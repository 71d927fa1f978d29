"""File formats: the registry (suffix, signature, safety guard and opener per format) and the
readers that turn a workbook or a CSV/TSV file into sales tables."""
