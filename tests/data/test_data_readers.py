"""read_table / sniff_csv: CSV dialects, encodings, Parquet files, folders and globs, refused inputs."""

import csv

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xai_audit import AuditDataset, InvalidInputError
from xai_audit.data import read_table, sniff_csv
from xai_audit.data.readers import CsvDialect, table_columns


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_semicolon_csv_with_decimal_comma(tmp_path):
    path = write(tmp_path / "d.csv", "income;rate;city\n1234,5;0,25;Köln\n99,75;-1,5;Bonn\n")
    assert sniff_csv(path) == CsvDialect(delimiter=";", decimal=",", encoding="utf-8", has_bom=False, quotechar='"')
    frame = read_table(path)
    assert frame["income"].tolist() == [1234.5, 99.75]
    assert frame["rate"].tolist() == [0.25, -1.5]
    assert frame["city"].tolist() == ["Köln", "Bonn"]


def test_semicolon_csv_with_decimal_point_keeps_the_point(tmp_path):
    path = write(tmp_path / "d.csv", "x;y\n1.5;a\n2.5;b\n")
    assert sniff_csv(path).decimal == "."
    assert read_table(path)["x"].tolist() == [1.5, 2.5]


def test_comma_file_with_quoted_commas_is_not_a_decimal_comma(tmp_path):
    path = write(tmp_path / "d.csv", 'x,y\n"1,5",2\n"3,5",4\n')
    dialect = sniff_csv(path)
    assert (dialect.delimiter, dialect.decimal) == (",", ".")
    assert read_table(path)["x"].tolist() == ["1,5", "3,5"]


@pytest.mark.parametrize("delimiter, name", [("\t", "tab"), ("|", "pipe"), (",", "comma")])
def test_other_delimiters(tmp_path, delimiter, name):
    path = write(tmp_path / "d.csv", delimiter.join(["a", "b", "c"]) + "\n" + delimiter.join(["1", "x y", "2"]) + "\n")
    dialect = sniff_csv(path)
    assert dialect.delimiter == delimiter and dialect.describe().startswith(f"{name}-delimited")
    assert read_table(path).to_dict("list") == {"a": [1], "b": ["x y"], "c": [2]}


def test_latin1_csv_is_read_with_a_stated_fallback(tmp_path):
    path = write(tmp_path / "d.csv", "name;city\nMüller;Zürich\nRené;Orléans\n", encoding="latin-1")
    dialect = sniff_csv(path)
    assert dialect.encoding == "cp1252" and not dialect.has_bom
    assert "not UTF-8" in dialect.describe()
    assert read_table(path)["name"].tolist() == ["Müller", "René"]


def test_utf8_bom_is_dropped_from_the_first_column_name(tmp_path):
    path = write(tmp_path / "d.csv", "\ufeffage,sex\n30,f\n41,m\n")
    dialect = sniff_csv(path)
    assert dialect.has_bom and dialect.encoding == "utf-8-sig"
    assert list(read_table(path).columns) == ["age", "sex"]
    assert table_columns(path) == ["age", "sex"]


def test_duplicate_column_names_are_named_not_renamed(tmp_path):
    path = write(tmp_path / "d.csv", "age,sex,age,income,sex\n1,f,2,3,m\n")
    with pytest.raises(InvalidInputError, match=r"duplicate column names \['age', 'sex'\]; rename them"):
        read_table(path)


def test_empty_file(tmp_path):
    with pytest.raises(InvalidInputError, match=r"d.csv' is empty; give a file with a header row"):
        read_table(write(tmp_path / "d.csv", ""))
    with pytest.raises(InvalidInputError, match=r"blank.csv' is empty"):
        read_table(write(tmp_path / "blank.csv", "\n\n  \n"))


def test_missing_path(tmp_path):
    with pytest.raises(InvalidInputError, match=r"nowhere.csv' does not exist; check the path"):
        read_table(tmp_path / "nowhere.csv")


def test_folder_without_parquet_files(tmp_path):
    write(tmp_path / "notes.csv", "a,b\n1,2\n")
    with pytest.raises(InvalidInputError, match=r"is a folder; give a CSV or Parquet file, or a folder of Parquet files"):
        read_table(tmp_path)


def parts(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    pd.DataFrame({"x": [1, 2], "g": ["a", "b"]}).to_parquet(folder / "part-1.parquet")
    pd.DataFrame({"x": [3], "g": ["c"]}).to_parquet(folder / "part-0.parquet")
    return folder


def test_folder_of_parquet_files_is_read_in_name_order(tmp_path):
    frame = read_table(parts(tmp_path))
    assert frame.to_dict("list") == {"x": [3, 1, 2], "g": ["c", "a", "b"]}
    assert list(frame.index) == [0, 1, 2]


def test_glob_of_parquet_files(tmp_path):
    folder = parts(tmp_path)
    assert read_table(str(folder / "part-1*.parquet"))["x"].tolist() == [1, 2]
    assert read_table(str(folder / "*.parquet"), columns=["g"]).to_dict("list") == {"g": ["c", "a", "b"]}
    with pytest.raises(InvalidInputError, match=r"matches no files; check the folder and the pattern"):
        read_table(str(folder / "*.pq"))


def test_parquet_files_with_different_columns_are_refused(tmp_path):
    folder = parts(tmp_path)
    pd.DataFrame({"x": [9], "other": ["z"]}).to_parquet(folder / "part-2.parquet")
    with pytest.raises(InvalidInputError, match=r"part-2.parquet' has the columns \['x', 'other'\].*same columns"):
        read_table(folder)


def test_columns_subset_and_missing_columns(tmp_path):
    path = write(tmp_path / "d.csv", "a,b,c\n1,2,3\n")
    assert read_table(path, columns=["c", "a"]).to_dict("list") == {"c": [3], "a": [1]}
    with pytest.raises(InvalidInputError, match=r"The columns \['z'\] are not in the file .*its columns are \['a', 'b', 'c'\]"):
        read_table(path, columns=["a", "z"])


def test_single_column_with_another_likely_delimiter_is_refused(tmp_path):
    path = write(tmp_path / "d.csv", "age:sex:income\n30:f:100\n41:m:200\n")
    with pytest.raises(InvalidInputError, match=r"reads as a single column 'age:sex:income', although its header "
                                                 r"contains ':'; save it with a comma, semicolon, tab or '\|'"):
        read_table(path)


def test_single_column_file_is_fine(tmp_path):
    assert read_table(write(tmp_path / "d.csv", "score\n1\n2\n"))["score"].tolist() == [1, 2]
    assert read_table(write(tmp_path / "e.csv", "credit score\n1\n2\n"))["credit score"].tolist() == [1, 2]
    assert read_table(write(tmp_path / "f.csv", "time\n10:30\n11:45:10\n"))["time"].tolist() == ["10:30", "11:45:10"]


def test_unknown_suffix_says_which_formats(tmp_path):
    with pytest.raises(InvalidInputError, match=r"has the suffix .xlsx; give a .csv or .parquet file"):
        read_table(write(tmp_path / "d.xlsx", "x"))


def test_long_file_with_quoted_newlines_beyond_the_sniffed_lines(tmp_path):
    frame = pd.DataFrame({"id": range(500), "note": [f"line {i}\nsecond; part|x" for i in range(500)]})
    path = tmp_path / "d.csv"
    frame.to_csv(path, sep=";", index=False)
    assert sniff_csv(path).delimiter == ";"
    pd.testing.assert_frame_equal(read_table(path), frame)


def test_dialect_is_stated_in_the_record(tmp_path):
    path = write(tmp_path / "d.csv", "x;y\n1,5;0\n2,5;1\n", encoding="utf-8")
    data = AuditDataset.from_csv(path, target="y")
    assert data.describe(["x"])["csv_dialect"] == {"delimiter": ";", "decimal": ",", "encoding": "utf-8",
                                                   "has_bom": False, "quotechar": '"'}
    parquet = tmp_path / "d.parquet"
    pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1]}).to_parquet(parquet)
    assert "csv_dialect" not in AuditDataset.from_file(parquet, target="y").describe(["x"])


def test_from_file_reads_a_parquet_folder(tmp_path):
    folder = parts(tmp_path)
    data = AuditDataset.from_file(folder, sensitive=["g"])
    assert data.n_rows == 3 and data.source == str(folder) and data.parquet is None


# Text that never looks like a number or a missing-value token, but holds delimiters, quotes,
# spaces and newlines.
TEXT = st.text(alphabet="bcdxyz", min_size=1, max_size=1).flatmap(
    lambda first: st.text(alphabet="bcxyz ,;|\t\"'\nÄé", max_size=8).map(lambda rest: first + rest))
QUOTING = [csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.integers(-10**6, 10**6), st.integers(-4000, 4000).map(lambda i: i / 4), TEXT),
                     min_size=1, max_size=25),
       delimiter=st.sampled_from([",", ";", "\t", "|"]), quoting=st.sampled_from(QUOTING),
       decimal_comma=st.booleans(), bom=st.booleans(), newline=st.sampled_from(["\n", "\r\n"]))
def test_random_dialects_round_trip(tmp_path, rows, delimiter, quoting, decimal_comma, bom, newline):
    frame = pd.DataFrame(rows, columns=["id", "amount", "text"])
    decimal = "," if decimal_comma and delimiter == ";" else "."
    path = tmp_path / "round.csv"
    frame.to_csv(path, sep=delimiter, decimal=decimal, quoting=quoting, index=False, lineterminator=newline,
                 encoding="utf-8-sig" if bom else "utf-8")
    dialect = sniff_csv(path)
    assert (dialect.delimiter, dialect.decimal, dialect.has_bom) == (delimiter, decimal, bom)
    pd.testing.assert_frame_equal(read_table(path), frame, check_dtype=False)
    assert read_table(path)["amount"].to_numpy(dtype=float).tolist() == frame["amount"].tolist()
    assert np.issubdtype(read_table(path)["id"].dtype, np.integer)


def test_text_that_looks_like_a_decimal_comma_does_not_switch_a_decimal_point_file(tmp_path):
    path = write(tmp_path / "d.csv", "x;note\n1.5;3,5\n2.5;a\n")
    assert sniff_csv(path).decimal == "."
    assert read_table(path).to_dict("list") == {"x": [1.5, 2.5], "note": ["3,5", "a"]}


def test_from_parquet_reads_folders_and_globs_and_refuses_other_paths(tmp_path):
    folder = parts(tmp_path)
    data = AuditDataset.from_parquet(str(folder / "*.parquet"), sensitive=["g"], columns=["g"], labels={"x": "X"})
    assert data.frame.to_dict("list") == {"g": ["c", "a", "b"]} and data.labels.to_dict() == {}
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    with pytest.raises(InvalidInputError, match=r"is a folder; give a CSV or Parquet file, or a folder of Parquet"):
        AuditDataset.from_parquet(empty)
    with pytest.raises(InvalidInputError, match=r"missing.parquet' does not exist"):
        AuditDataset.from_parquet(tmp_path / "missing.parquet")
