"""One spelling per name: the text a product, seller or shipping company is stored under.

The same name typed on Windows and on a Mac (``é`` composed, or ``e`` + combining accent), or
with a non-breaking space around it, looks the same to people and must be one dimension row,
so every name is written in one form:

* Unicode NFC (composed), so ``José`` is one string however it was typed;
* invisible characters removed wherever they are (zero-width space U+200B, BOM U+FEFF, soft
  hyphen, word joiner, left-to-right/right-to-left marks, Mongolian vowel separator), as are
  control characters and lone surrogates;
* whitespace of every kind (space, tab, line breaks, no-break space U+00A0, narrow no-break
  space U+202F, ideographic space U+3000, …) removed around the name and each inner run
  collapsed to one space.

Case is kept as written: ``ACME`` and ``Acme`` stay two names. Numbers become their text
(``123.0`` → ``"123"``). This is the only definition: the row parser writes every staged name
through ``to_name`` and schema revision 0003 rewrote the names stored before it.
"""

from __future__ import annotations

import unicodedata

from salesops_pipeline.core.extract.rows.cells import INF, InvalidCell, kind, show

__all__ = ["MAX_NAME_LENGTH", "to_name"]

MAX_NAME_LENGTH = 1000
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u200e\u200f\u2060\ufeff"))


def to_name(value: object) -> str:
    """The stored spelling of a name cell; InvalidCell when it holds no name.

    >>> to_name("\\u00a0Jose\\u0301   A\\u0301lvarez\\t") == "Jos\\u00e9 \\u00c1lvarez"
    True
    """
    if type(value) is str:
        text = " ".join(value.split())
        # The fast path, for nearly every cell: printable, and ASCII or already composed.
        if (0 < len(text) <= MAX_NAME_LENGTH and text.isprintable()
                and (text.isascii() or unicodedata.is_normalized("NFC", text))):
            return text
        return _clean_name(text)
    if value is None:
        raise InvalidCell("missing")
    if type(value) is float or type(value) is int:
        if value != value or value in (INF, -INF):
            raise InvalidCell(f"not a name {show(value)}")
        return format(value, ".15g") if type(value) is float else str(value)
    raise InvalidCell(f"{kind(value)} is not a name {show(value)}")


def _clean_name(text: str) -> str:
    """Slow path: drop control, surrogate and invisible characters, compose (NFC) what is left
    (an accent cut off its letter by a zero-width space joins it), trim and collapse again."""
    kept = "".join(
        ch
        for ch in text.translate(_INVISIBLE)
        if ch >= " " and not ("\x7f" <= ch <= "\x9f" or "\ud800" <= ch <= "\udfff")
    )
    kept = " ".join(unicodedata.normalize("NFC", kept).split())
    if not kept:
        raise InvalidCell("missing")
    if len(kept) > MAX_NAME_LENGTH:
        raise InvalidCell(f"longer than {MAX_NAME_LENGTH} characters")
    return kept
