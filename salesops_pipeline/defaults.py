"""Default values needed both by settings.py and by core/, kept here so that settings.py imports
nothing from core/ (import-linter checks it) and each default is still defined once."""

from __future__ import annotations

__all__ = ["DEFAULT_PARSE_MEMORY_MB"]

# The address-space cap (RLIMIT_AS) of the child that parses one file (core/extract/memory_cap.py),
# when SALESOPS_PARSE_MEMORY_MB is not set; settings.py says what it was measured against.
DEFAULT_PARSE_MEMORY_MB = 4096
