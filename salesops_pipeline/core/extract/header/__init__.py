"""Header matching: the canonical sales columns, their spellings (built in and the user's column
map), and finding a table's header row."""
