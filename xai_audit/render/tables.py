"""Tables as plain data for the templates, numbered per report, each with a one-sentence reading.

A :class:`Table` holds only strings (already formatted); the templates lay it out and escape it.
:func:`generic_table` turns any part of the record whose exact shape the report does not know yet
into a readable table, so that no computed number silently disappears from the report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from xai_audit.render.glossary import display_name, lookup
from xai_audit.render.text import interval, is_number, num, plain


@dataclass(frozen=True)
class Column:
    text: str
    key: str = ""
    numeric: bool = False

    @property
    def glossary(self) -> str:
        """Anchor of the glossary entry this column's heading links to, or ''."""
        return f"g-{self.key}" if self.key and lookup(self.key) else ""


@dataclass(frozen=True)
class Cell:
    """One cell: its text, an optional verdict (styles it and adds a word), a second line (an
    interval, say) and a link to a glossary entry or section."""

    text: str
    status: str = ""
    note: str = ""
    numeric: bool = False
    link: str = ""


@dataclass(frozen=True)
class Table:
    """One numbered table: caption, reading, columns, rows of cells, footnotes."""

    id: str
    number: int
    caption: str
    reading: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    notes: tuple[str, ...] = ()
    row_headers: bool = True


@dataclass
class TableBook:
    """Numbers the tables of one report in the order they are made.

    Examples
    --------
    >>> book = TableBook()
    >>> table = book.make("Sizes", "Two groups.", [Column("group"), Column("n", numeric=True)],
    ...                   [["a", "10"], ["b", "12"]])
    >>> table.number, table.rows[1][1].text, table.rows[1][1].numeric
    (1, '12', True)
    """

    count: int = 0
    prefix: str = "tab"
    made: list = field(default_factory=list)

    def make(self, caption, reading, columns, rows, *, notes=(), row_headers=True) -> Table:
        self.count += 1
        columns = tuple(c if isinstance(c, Column) else Column(str(c)) for c in columns)
        cooked = tuple(
            tuple(_cell(value, columns[i].numeric if i < len(columns) else False) for i, value in enumerate(row))
            for row in rows)
        table = Table(id=f"{self.prefix}{self.count}", number=self.count, caption=caption, reading=reading,
                      columns=columns, rows=cooked, notes=tuple(notes), row_headers=row_headers)
        self.made.append(table)
        return table


def _cell(value, numeric) -> Cell:
    if isinstance(value, Cell):
        return Cell(plain(value.text), value.status, plain(value.note), value.numeric or numeric, value.link)
    return Cell(text=plain(value) if isinstance(value, str) else show(value), numeric=numeric)


def show(value) -> str:
    """Any JSON value as one plain line of text.

    Examples
    --------
    >>> show(0.12345), show([0.1, 0.2]), show({"a": 1}), show(True), show(None)
    ('0.123', '0.100–0.200', 'a: 1', 'yes', 'n/a')
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or is_number(value):
        return num(value)
    if isinstance(value, (list, tuple)):
        return interval(value) or plain(", ".join(show(v) for v in value))
    if isinstance(value, dict):
        if "value" in value:
            shown = show(value["value"])
            span = interval(value.get("ci"))
            return f"{shown} ({span})" if span else shown
        return plain("; ".join(f"{k}: {show(v)}" for k, v in value.items()))
    return plain(value)


def generic_table(book: TableBook, caption: str, value, *, reading: str = "") -> Table:
    """A table for a part of the record of unknown shape.

    A dict of dicts becomes one row per key and one column per inner key; a dict of scalars, two
    columns; a list of dicts, one row per item.

    Examples
    --------
    >>> t = generic_table(TableBook(), "Tests", {"sex": {"p_value": 0.04, "test": "chi2"}})
    >>> [c.text for c in t.columns], [c.text for c in t.rows[0]]
    (['Entry', 'p-value', 'test'], ['sex', '0.040', 'chi2'])
    """
    if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
        keys = list(dict.fromkeys(k for inner in value.values() for k in inner))
        columns = [Column("Entry")] + [Column(display_name(k) if lookup(k) else str(k), key=str(k),
                                         numeric=_numeric_column(value.values(), k)) for k in keys]
        rows = [[str(name)] + [inner.get(k) for k in keys] for name, inner in value.items()]
    elif isinstance(value, dict):
        columns = [Column("item"), Column("value")]
        rows = [[str(k), v] for k, v in value.items()]
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        keys = list(dict.fromkeys(k for item in value for k in item))
        columns = [Column(str(k), key=str(k), numeric=_numeric_column(value, k)) for k in keys]
        rows = [[item.get(k) for k in keys] for item in value]
    else:
        columns = [Column("value")]
        rows = [[v] for v in (value if isinstance(value, list) else [value])]
    reading = reading or f"The record holds {len(rows)} entr{'y' if len(rows) == 1 else 'ies'} here, shown as recorded."
    return book.make(caption, reading, columns, rows)


def _numeric_column(items, key) -> bool:
    values = [item.get(key) for item in items if isinstance(item, dict) and item.get(key) is not None]
    return bool(values) and all(is_number(v) for v in values)


def compact_json(value) -> str:
    """A value as compact JSON, whole (for settings shown verbatim; long values wrap in the page).

    Examples
    --------
    >>> compact_json({"steps": 50})
    '{"steps": 50}'
    """
    return plain(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))
