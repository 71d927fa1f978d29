"""The `salesops` command, one module per verb group."""
