"""Report: quality rules, report refresh, report queries, weeks, report files."""
