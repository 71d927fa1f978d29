"""core/report/render.py's text rules: one line for headers and plain text, inert Markdown."""

from __future__ import annotations

import pytest

from salesops_pipeline.core.report.render import markdown_text, one_line


@pytest.mark.parametrize(("raw", "expected"), [
    ("may.xlsx", "may.xlsx"),
    ("may\r\nBcc: x@evil.example", "may Bcc: x@evil.example"),
    ("a\nb\rc\td\x00e\x7ff\x85g\u2028h\u2029i", "a b c d e f g h i"),
    ("Zoë — 10 €", "Zoë — 10 €"),
])
def test_one_line_turns_each_run_of_control_characters_into_a_space(raw: str,
                                                                     expected: str) -> None:
    assert one_line(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("[Reset password](https://evil.example)", r"\[Reset password\](https://evil.example)"),
    ("![x](https://evil.example/p.png)", r"!\[x\](https://evil.example/p.png)"),
    ("<https://evil.example> <img src=x>", r"\<https://evil.example\> \<img src=x\>"),
    ("*bold* _it_ ~del~ `code` a|b c\\d", r"\*bold\* \_it\_ \~del\~ \`code\` a\|b c\\d"),
    ("line\n# Heading\n[x]: https://evil.example", r"line # Heading \[x\]: https://evil.example"),
    ("Procter & Gamble, 2.5 (pack)", "Procter & Gamble, 2.5 (pack)"),
])
def test_markdown_text_escapes_markup_and_keeps_the_rest(raw: str, expected: str) -> None:
    assert markdown_text(raw) == expected
