"""Reading tables from files: CSV with its dialect sniffed, Parquet files, folders and globs.

Every problem is an :class:`~xai_audit.exceptions.InvalidInputError` that names the file, what was
found and how to fix it. Nothing here validates audit roles; that is :mod:`xai_audit.data.dataset`.
"""

from __future__ import annotations

import codecs
import csv
import glob
import io
import re
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from xai_audit.exceptions import InvalidInputError

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
DELIMITERS = (",", ";", "\t", "|")
OTHER_DELIMITERS = (":", "~", "^")
FALLBACK_ENCODINGS = ("cp1252", "latin-1")
SNIFF_LINES = 200
_CHUNK = 1 << 20
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")
_DECIMAL_POINT = re.compile(r"^\s*[-+]?\d+\.\d+\s*$")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe", ":": "colon", "~": "tilde", "^": "caret"}


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file is written: what :func:`sniff_csv` found and :func:`read_table` used.

    Attributes
    ----------
    delimiter : str
        One of ``,`` ``;`` tab ``|``.
    decimal : str
        ``"."``, or ``","`` for a semicolon file whose numbers use a decimal comma.
    encoding : str
        ``"utf-8"``, ``"utf-8-sig"`` (UTF-8 with a byte-order mark), or the fallback ``"cp1252"`` /
        ``"latin-1"`` for a file that is not UTF-8.
    has_bom : bool
    quotechar : str

    Examples
    --------
    >>> CsvDialect(";", ",", "cp1252", False, '"').describe()
    'semicolon-delimited, decimal comma, encoding cp1252 (not UTF-8: read with a fallback)'
    """

    delimiter: str = ","
    decimal: str = "."
    encoding: str = "utf-8"
    has_bom: bool = False
    quotechar: str = '"'

    def describe(self) -> str:
        """One line for a preview: delimiter, decimal mark, encoding."""
        parts = [f"{_DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))}-delimited",
                 "decimal comma" if self.decimal == "," else "decimal point"]
        if self.encoding in FALLBACK_ENCODINGS:
            parts.append(f"encoding {self.encoding} (not UTF-8: read with a fallback)")
        else:
            parts.append("UTF-8 with byte-order mark" if self.has_bom else "UTF-8")
        return ", ".join(parts)

    def to_dict(self) -> dict:
        """The dialect as plain JSON values (the record's ``data.csv_dialect``)."""
        return asdict(self)


def sniff_csv(path) -> CsvDialect:
    """Find the encoding, delimiter, decimal mark and quote character of a CSV file.

    The encoding is UTF-8 (with or without a byte-order mark) when the whole file decodes as UTF-8,
    else cp1252, else latin-1. The delimiter is the one of ``,`` ``;`` tab ``|`` that splits the
    first lines into the same number of fields (more than one). A semicolon file whose numbers are
    written ``3,5`` (and none ``3.5``) uses a decimal comma.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "d.csv")
    >>> _ = open(path, "w", encoding="utf-8").write("x;y\\n1,5;a\\n2,25;b\\n")
    >>> sniff_csv(path)
    CsvDialect(delimiter=';', decimal=',', encoding='utf-8', has_bom=False, quotechar='"')
    """
    path = _existing_file(path)
    encoding, has_bom = _encoding_of(path)
    lines = _head_lines(path, encoding)
    if not any(line.strip() for line in lines):
        raise InvalidInputError(f"The data file '{path}' is empty; give a CSV file with a header row and data rows.")
    quotechar = _quotechar_of(lines)
    delimiter = _delimiter_of(lines, quotechar)
    decimal = "," if delimiter == ";" and _uses_decimal_comma(lines, delimiter, quotechar) else "."
    return CsvDialect(delimiter=delimiter, decimal=decimal, encoding=encoding, has_bom=has_bom, quotechar=quotechar)


def read_table(path, *, columns=None) -> pd.DataFrame:
    """Read a CSV file, a Parquet file, a folder of Parquet files or a glob of them.

    Parameters
    ----------
    path : str or Path
        ``data.csv`` (``.tsv``, ``.txt``), ``data.parquet`` (``.pq``), a folder holding Parquet
        files, or a glob such as ``"parts/*.parquet"``; the files of a folder or glob are read in
        name order and stacked (they must have the same columns).
    columns : list of str, optional
        Read only these columns; each must exist.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "d.csv")
    >>> _ = open(path, "w", encoding="utf-8").write("x|y\\n1|a\\n2|b\\n")
    >>> read_table(path)["y"].tolist()
    ['a', 'b']
    """
    frame, _ = read_table_with_dialect(path, columns=columns)
    return frame


def read_table_with_dialect(path, *, columns=None) -> tuple[pd.DataFrame, CsvDialect | None]:
    """:func:`read_table`, also returning the CSV dialect used (None for Parquet)."""
    files, kind = _resolve(path)
    if columns is not None:
        columns = list(dict.fromkeys(columns))
    if kind == "csv":
        return _read_csv(files[0], columns)
    frames = [_read_parquet(file, columns) for file in files]
    if len(frames) == 1:
        return frames[0], None
    first = list(frames[0].columns)
    for file, frame in zip(files[1:], frames[1:]):
        if list(frame.columns) != first:
            raise InvalidInputError(
                f"The Parquet file '{file}' has the columns {list(frame.columns)}, but '{files[0]}' has {first}; "
                "every file of a folder or glob must have the same columns in the same order."
            )
    return pd.concat(frames, ignore_index=True), None


def table_columns(path) -> list[str]:
    """Every column name of a table file (the CSV header or the Parquet schema), without reading rows.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "d.csv")
    >>> _ = open(path, "w", encoding="utf-8").write("x\\ty\\n1\\ta\\n")
    >>> table_columns(path)
    ['x', 'y']
    """
    import pyarrow.parquet as pq

    files, kind = _resolve(path)
    if kind == "csv":
        return _header_of(files[0], sniff_csv(files[0]))
    try:
        return [n for n in pq.ParquetFile(files[0]).schema_arrow.names if not n.startswith("__index_level_")]
    except Exception as error:
        raise InvalidInputError(f"The file '{files[0]}' could not be read as Parquet: {error}.") from error


def parquet_files(path) -> list[Path]:
    """The Parquet files ``path`` names (one file, a folder's files or a glob's), in name order."""
    files, kind = _resolve(path)
    if kind != "parquet":
        raise InvalidInputError(f"'{path}' is not Parquet; give a .parquet file, a folder of them or a glob.")
    return files


# -- paths ----------------------------------------------------------------------------------------


def _resolve(path) -> tuple[list[Path], str]:
    text = str(path)
    if not Path(text).exists() and any(ch in text for ch in "*?["):
        files = sorted(Path(p) for p in glob.glob(text) if Path(p).is_file())
        if not files:
            raise InvalidInputError(f"The pattern '{text}' matches no files; check the folder and the pattern.")
        return _of_one_kind(files, f"The pattern '{text}'")
    path = Path(text)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in PARQUET_SUFFIXES)
        if not files:
            raise InvalidInputError(
                f"'{path}' is a folder; give a CSV or Parquet file, or a folder of Parquet files "
                "(this one holds no .parquet files)."
            )
        return files, "parquet"
    path = _existing_file(path)
    return _of_one_kind([path], f"The data file '{path}'")


def _of_one_kind(files: list[Path], what: str) -> tuple[list[Path], str]:
    suffixes = sorted({f.suffix.lower() for f in files})
    if all(s in PARQUET_SUFFIXES for s in suffixes):
        return files, "parquet"
    if len(files) == 1 and suffixes[0] in CSV_SUFFIXES:
        return files, "csv"
    if all(s in CSV_SUFFIXES for s in suffixes):
        raise InvalidInputError(
            f"{what} names {len(files)} CSV files; give one CSV file (or convert the parts to Parquet, "
            "which can be read as a folder or glob)."
        )
    raise InvalidInputError(
        f"{what} has the suffix {'/'.join(suffixes) or '(none)'}; give a .csv or .parquet file "
        "(export a spreadsheet as 'CSV UTF-8')."
    )


def _existing_file(path) -> Path:
    path = Path(path)
    if path.is_dir():
        raise InvalidInputError(f"'{path}' is a folder; give a CSV or Parquet file, or a folder of Parquet files.")
    if not path.is_file():
        raise InvalidInputError(f"The data file '{path}' does not exist; check the path.")
    if path.stat().st_size == 0:
        raise InvalidInputError(f"The data file '{path}' is empty; give a file with a header row and data rows.")
    return path


# -- CSV ------------------------------------------------------------------------------------------


def _read_csv(path: Path, columns) -> tuple[pd.DataFrame, CsvDialect]:
    dialect = sniff_csv(path)
    header = _header_of(path, dialect)
    duplicated = sorted({name for name, count in Counter(header).items() if count > 1})
    if duplicated:
        raise InvalidInputError(
            f"The CSV file '{path}' has duplicate column names {duplicated}; rename them so each column "
            "is unique (they would otherwise be read as 'name', 'name.1', ...)."
        )
    if len(header) == 1:
        _refuse_single_column(path, header[0])
    if columns is not None:
        _require(columns, header, path)
    try:
        frame = pd.read_csv(path, sep=dialect.delimiter, decimal=dialect.decimal, encoding=dialect.encoding,
                            quotechar=dialect.quotechar, usecols=columns)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise InvalidInputError(
            f"The file '{path}' could not be read as CSV ({dialect.describe()}): {error}. "
            "Check that every row has as many fields as the header."
        ) from error
    if columns is not None:
        frame = frame.loc[:, columns]
    return frame, dialect


def _encoding_of(path: Path) -> tuple[str, bool]:
    with open(path, "rb") as handle:
        start = handle.read(3)
        has_bom = start == codecs.BOM_UTF8
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            handle.seek(0)
            data = handle.read()
            for encoding in FALLBACK_ENCODINGS:
                try:
                    data.decode(encoding)
                    return encoding, False
                except UnicodeDecodeError:
                    continue
    return ("utf-8-sig" if has_bom else "utf-8"), has_bom


def _head_lines(path: Path, encoding: str) -> list[str]:
    lines = []
    with open(path, encoding=encoding, newline="") as handle:
        for line in handle:
            lines.append(line)
            if len(lines) >= SNIFF_LINES:
                break
    return lines


def _rows(lines, delimiter, quotechar) -> list[list[str]]:
    reader = csv.reader(io.StringIO("".join(lines)), delimiter=delimiter, quotechar=quotechar)
    try:
        rows = [row for row in reader if row]
    except csv.Error:
        return []
    # The last sampled line may be cut mid-record; leave it out when the sample is not the whole file.
    return rows[:-1] if len(lines) >= SNIFF_LINES and len(rows) > 1 else rows


def _quotechar_of(lines) -> str:
    text = "".join(lines)
    return "'" if '"' not in text and re.search(r"(^|[,;\t|])'[^']*'($|[,;\t|\r\n])", text, re.M) else '"'


def _delimiter_of(lines, quotechar) -> str:
    best, best_score = ",", (False, 1)
    for delimiter in DELIMITERS:
        widths = [len(row) for row in _rows(lines, delimiter, quotechar)]
        if not widths:
            continue
        width = Counter(widths).most_common(1)[0][0]
        score = (all(w == widths[0] for w in widths), width)
        if width > 1 and score > best_score:
            best, best_score = delimiter, score
    return best


def _uses_decimal_comma(lines, delimiter, quotechar) -> bool:
    """Numbers written ``3,5`` and none written ``3.5`` in the sampled rows."""
    fields = [field for row in _rows(lines, delimiter, quotechar)[1:] for field in row]
    return any(_DECIMAL_COMMA.match(f) for f in fields) and not any(_DECIMAL_POINT.match(f) for f in fields)


def _header_of(path: Path, dialect: CsvDialect) -> list[str]:
    rows = _rows(_head_lines(path, dialect.encoding), dialect.delimiter, dialect.quotechar)
    header = rows[0] if rows else []
    if header and dialect.has_bom:
        header[0] = header[0].lstrip("\ufeff")
    return header


def _refuse_single_column(path: Path, header: str):
    """A one-column parse whose lines all split on another character into the same number of fields."""
    lines = _head_lines(path, sniff_csv(path).encoding)
    found = []
    for delimiter in OTHER_DELIMITERS:
        widths = {len(row) for row in _rows(lines, delimiter, '"')}
        if len(widths) == 1 and widths.pop() > 1:
            found.append(delimiter)
    if found:
        shown = ", ".join(repr(d) for d in found)
        raise InvalidInputError(
            f"The CSV file '{path}' reads as a single column {header.strip()!r}, although its header contains "
            f"{shown}; save it with a comma, semicolon, tab or '|' between the columns."
        )


def _require(columns, header, path):
    missing = [c for c in columns if c not in header]
    if missing:
        shown = list(header[:30]) + (["..."] if len(header) > 30 else [])
        raise InvalidInputError(f"The columns {missing} are not in the file '{path}'; its columns are {shown}.")


# -- Parquet --------------------------------------------------------------------------------------


def _read_parquet(path: Path, columns) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        schema = pq.ParquetFile(path).schema_arrow
    except Exception as error:
        raise InvalidInputError(f"The file '{path}' could not be read as Parquet: {error}.") from error
    names = list(schema.names)
    duplicated = sorted({name for name, count in Counter(names).items() if count > 1})
    if duplicated:
        raise InvalidInputError(f"The Parquet file '{path}' has duplicate column names {duplicated}; rename them so each column is unique.")
    if columns is not None:
        _require(columns, [n for n in names if not n.startswith("__index_level_")], path)
    try:
        return pd.read_parquet(path, columns=columns)
    except Exception as error:
        raise InvalidInputError(f"The file '{path}' could not be read as Parquet: {error}.") from error


@dataclass(frozen=True)
class ParquetSource:
    """A Parquet file as row groups, so a worker can read its own rows (and only the columns it needs).

    ``row_group_rows`` are the rows of each row group, in file order; ``columns`` every column name.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "d.parquet")
    >>> pd.DataFrame({"x": range(10), "y": [0, 1] * 5}).to_parquet(path, row_group_size=4)
    >>> source = parquet_source(path)
    >>> source.row_group_rows, source.chunks(2)
    ((4, 4, 2), [(0, 1), (2,)])
    >>> source.read((2,), columns=["x"])["x"].tolist()
    [8, 9]
    """

    path: str
    row_group_rows: tuple
    columns: tuple

    def chunks(self, n_chunks: int) -> list[tuple]:
        """The row groups cut into at most ``n_chunks`` runs of consecutive groups with similar row counts."""
        n_groups = len(self.row_group_rows)
        n_chunks = max(1, min(int(n_chunks), n_groups))
        ends = np.cumsum(self.row_group_rows)
        targets = ends[-1] * np.arange(1, n_chunks) / n_chunks
        cuts = sorted(set(int(i) + 1 for i in np.searchsorted(ends, targets, side="left")) - {0, n_groups})
        edges = [0] + [c for c in cuts if 0 < c < n_groups] + [n_groups]
        return [tuple(range(a, b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]

    def read(self, row_groups, *, columns, dtypes=None) -> pd.DataFrame:
        """The rows of ``row_groups`` (consecutive, in order), only ``columns``; cast to ``dtypes``
        (``{column: dtype}``, the client's) so the piece matches the client's frame exactly."""
        import pyarrow.parquet as pq

        frame = pq.ParquetFile(self.path).read_row_groups(list(row_groups), columns=list(columns),
                                                          use_pandas_metadata=False).to_pandas()
        if dtypes:
            frame = frame.astype({c: t for c, t in dtypes.items() if c in frame.columns and frame[c].dtype != t})
        return frame


def parquet_source(path) -> ParquetSource:
    import pyarrow.parquet as pq

    path = _existing_file(path)
    try:
        metadata = pq.ParquetFile(path).metadata
    except Exception as error:
        raise InvalidInputError(f"The file '{path}' could not be read as Parquet: {error}.") from error
    return ParquetSource(path=str(path.resolve()),
                         row_group_rows=tuple(metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)),
                         columns=tuple(metadata.schema.to_arrow_schema().names))
