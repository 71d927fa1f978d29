"""Extract: the drop folder, file identity, and reading workbooks and CSV files into sales rows."""
