"""One escaping for every text output that is not rendered by the jinja2 templates.

The HTML report escapes through jinja2's autoescape; everything else (the Markdown summary of
``run --markdown``, the batch Markdown comment, the ``diff`` Markdown, JUnit text) goes through
these functions, so a model, entry, feature or group name cannot inject markup, break a table, or
reverse the text around it:

- :func:`isolate_bidi` makes bidirectional control characters (U+202A-U+202E, U+2066-U+2069, and
  the invisible marks U+200E, U+200F, U+061C) visible as ``[U+202E]``, the form finding messages use;
- :func:`markdown_text` makes any string literal Markdown inline text (HTML entities for ``& < >``,
  backslashes before Markdown punctuation, no control characters, one line, shortened);
- :func:`markdown_cell` is the same, for a table cell (pipes are escaped by :func:`markdown_text`).
"""

from __future__ import annotations

import re

BIDI_CODES = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_BIDI_VISIBLE = {code: f"[U+{code:04X}]" for code in BIDI_CODES}
# C0 and C1 control characters other than tab, line feed and carriage return (turned into spaces).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Markdown punctuation that can start emphasis, code, links, images or strikethrough, or end a table
# cell, anywhere in a line; and what starts a heading or a list only at the start of the text
# (``>`` is already an entity, so no quote can start).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_LINE_START = re.compile(r"^([#+\-=])(?=\s|$)")
_ORDERED_ITEM = re.compile(r"^(\d+)([.)])(?=\s|$)")
DEFAULT_LIMIT = 300


def isolate_bidi(text) -> str:
    """``text`` with every bidirectional control character shown as ``[U+XXXX]``.

    Examples
    --------
    >>> isolate_bidi("abc\\u202edef")
    'abc[U+202E]def'
    """
    return "" if text is None else str(text).translate(_BIDI_VISIBLE)


def shorten(text, limit: int = DEFAULT_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, saying how many were cut.

    Examples
    --------
    >>> shorten("x" * 30, 10)
    'xxxxxxxxx… (+21 characters)'
    """
    text = "" if text is None else str(text)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 1]}\u2026 (+{len(text) - limit + 1} characters)"


def markdown_text(text, limit: int | None = DEFAULT_LIMIT) -> str:
    """``text`` as literal, one-line Markdown inline text (safe inside a table cell too).

    Bidirectional controls become visible, other control characters and line breaks become spaces,
    the text is shortened to ``limit`` characters (kept whole when ``limit`` is None), ``& < >`` become HTML entities (GitHub renders
    inline HTML) and Markdown punctuation (including backticks and pipes) is backslash-escaped.

    Examples
    --------
    >>> markdown_text("a|b\\n<script>*x*</script>")
    'a\\\\|b &lt;script&gt;\\\\*x\\\\*&lt;/script&gt;'
    >>> markdown_text("`rm`")
    '\\\\`rm\\\\`'
    """
    text = _CONTROL.sub(" ", isolate_bidi(text))
    text = " ".join(text.split())
    if limit is not None:
        text = shorten(text, limit)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _LINE_START.sub(r"\\\1", _MARKDOWN_SPECIAL.sub(r"\\\1", text))
    return _ORDERED_ITEM.sub(r"\1\\\2", text)


def markdown_cell(text, limit: int = DEFAULT_LIMIT) -> str:
    """``text`` for one Markdown table cell: :func:`markdown_text` (pipes and line breaks included).

    Examples
    --------
    >>> markdown_cell("a | b")
    'a \\\\| b'
    """
    return markdown_text(text, limit)


def plain_text(text, limit: int = 500) -> str:
    """``text`` for a plain-text output (JUnit attributes and bodies, console lines): bidirectional
    controls visible, control characters as spaces, shortened; markup is left to the writer's own
    escaping (XML for JUnit).

    Examples
    --------
    >>> plain_text("a\\u202eb\\x00c")
    'a[U+202E]b c'
    """
    return shorten(_CONTROL.sub(" ", isolate_bidi(text)), limit)
