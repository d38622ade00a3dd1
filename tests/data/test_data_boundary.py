"""AuditDataset's boundary checks: each careless input is refused with the problem and the fix."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xai_audit import AuditDataset, InvalidInputError
from xai_audit.data import UNKNOWN_GROUP, parse_bins
from xai_audit.data.groups import bin_labels


def frame(n=60):
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=n), "age_years": rng.integers(19, 75, size=n),
                         "sex": rng.choice(["f", "m"], size=n), "y": rng.choice(["good", "bad"], size=n),
                         "p": rng.choice(["good", "bad"], size=n), "s": rng.uniform(size=n)})


@pytest.mark.parametrize("sensitive, role", [("y", "target"), ("p", "predictions"), ("s", "scores")])
def test_sensitive_attribute_that_is_the_target_predictions_or_scores(sensitive, role):
    with pytest.raises(InvalidInputError, match=rf"The sensitive attribute '{sensitive}' is also the {role} column; "
                                                 r".*Name the attribute the groups are defined by"):
        AuditDataset.from_frame(frame(), target="y", positive_label="good", predictions="p", scores="s",
                                sensitive=["sex", sensitive], bins={"s": [0.5]} if sensitive == "s" else None)


def test_sensitive_attribute_that_copies_the_target():
    df = frame().assign(outcome=lambda d: d["y"])
    with pytest.raises(InvalidInputError, match=r"'outcome' holds exactly the values of the target column 'y'; "
                                                 r"it is a copy of the target"):
        AuditDataset.from_frame(df, target="y", positive_label="good", sensitive=["outcome"])


def test_numeric_sensitive_attribute_with_many_values_needs_bins():
    df = frame()
    n = df["age_years"].nunique()
    assert n > 10
    with pytest.raises(InvalidInputError, match=rf"'age_years' is numeric with {n} distinct values; .*Give bins, "
                                                 r"e\.g\. bins=\{'age_years': \[\d+, \d+\]\} or --bins age_years=\d+,\d+"):
        AuditDataset.from_frame(df, target="y", positive_label="good", sensitive=["age_years"])
    data = AuditDataset.from_frame(df, target="y", positive_label="good", sensitive=["age_years"],
                                   bins={"age_years": [25, 40]})
    assert set(data.groups["age_years"]) <= {"< 25", "25 to < 40", ">= 40"}


def test_ten_numeric_values_are_still_groups_and_text_codes_are_never_binned():
    df = frame().assign(region=lambda d: np.arange(len(d)) % 10, code=lambda d: (np.arange(len(d)) % 30).astype(str))
    data = AuditDataset.from_frame(df, target="y", positive_label="good", sensitive=["region", "code"])
    assert data.groups["region"].nunique() == 10 and data.groups["code"].nunique() == 30
    with pytest.raises(InvalidInputError, match=r"'region' is numeric with 11 distinct values"):
        AuditDataset.from_frame(df.assign(region=np.arange(len(df)) % 11), target="y", positive_label="good",
                                sensitive=["region"])


@pytest.mark.parametrize("edges, message", [
    ([25, float("nan")], r"must be finite numbers; got \[25, nan\]"),
    ([float("-inf"), 25], r"must be finite numbers; got \[-inf, 25\]"),
    ([40, 25], r"must be strictly increasing; got \[40, 25\]\. Sort them and drop repeats, e\.g\. \[25, 40\]"),
    ([25, 25], r"must be strictly increasing; got \[25, 25\]"),
    (["25"], r"must be numbers; got \['25'\]"),
    ([], r"are empty; give at least one edge"),
    ("25", r"must be a list of numbers"),
])
def test_bad_bin_edges(edges, message):
    with pytest.raises(InvalidInputError, match=rf"The bin edges for 'age_years' {message}"):
        AuditDataset.from_frame(frame(), target="y", positive_label="good", sensitive=["age_years"],
                                bins={"age_years": edges})


def test_bins_for_a_column_that_is_not_sensitive():
    with pytest.raises(InvalidInputError, match=r"Bins were given for \['x'\], which are not sensitive attributes "
                                                 r"\['sex'\]; add them to the sensitive attributes or drop their bins"):
        AuditDataset.from_frame(frame(), target="y", positive_label="good", sensitive=["sex"], bins={"x": [0]})


def test_bins_for_a_text_attribute():
    with pytest.raises(InvalidInputError, match=r"Bins were given for 'sex', which is not numeric"):
        AuditDataset.from_frame(frame(), target="y", positive_label="good", sensitive=["sex"], bins={"sex": [1]})


@pytest.mark.parametrize("text, expected", [
    ("age=25,40;income=1000", {"age": [25.0, 40.0], "income": [1000.0]}),
    (" age = 25 , 40 ; ", {"age": [25.0, 40.0]}),
    (["age=25", "income=-1.5e3"], {"age": [25.0], "income": [-1500.0]}),
    ("", {}),
])
def test_parse_bins(text, expected):
    assert parse_bins(text) == expected


@pytest.mark.parametrize("text, message", [
    ("age=nan", r"--bins 'age=nan': 'nan' is not a finite number; give finite edges, e\.g\. age=25,40"),
    ("age=25,inf", r"'inf' is not a finite number"),
    ("age=25,x", r"'x' is not a number; give numbers, e\.g\. age=25,40"),
    ("age=25,,40", r"'' is not a number"),
    ("age", r"--bins 'age' must look like COLUMN=EDGE1,EDGE2"),
    ("=25", r"must look like COLUMN=EDGE1,EDGE2"),
    ("age=40,25", r"The bin edges for 'age' must be strictly increasing"),
    ("age=25;age=40", r"--bins names 'age' twice"),
])
def test_parse_bins_refuses_with_the_fix(text, message):
    with pytest.raises(InvalidInputError, match=message):
        parse_bins(text)


@settings(max_examples=50, deadline=None)
@given(edges=st.lists(st.integers(-1000, 1000), min_size=1, max_size=6, unique=True).map(sorted), data=st.data())
def test_every_value_lands_in_the_bin_that_contains_it(edges, data):
    # Values on the edges themselves are drawn on purpose: an edge value belongs to the bin above it.
    values = data.draw(st.lists(st.one_of(st.none(), st.floats(-2000, 2000), st.sampled_from(edges)),
                                min_size=1, max_size=40))
    series = pd.Series([np.nan if v is None else v for v in values], dtype=float)
    labels = bin_labels(series, edges, "a").tolist()
    bounds = [-np.inf, *edges, np.inf]
    names = [f"< {edges[0]:g}"] + [f"{a:g} to < {b:g}" for a, b in zip(edges, edges[1:])] + [f">= {edges[-1]:g}"]
    for value, label in zip(series, labels):
        if np.isnan(value):
            assert label == UNKNOWN_GROUP
        else:
            i = names.index(label)
            assert bounds[i] <= value < bounds[i + 1]


def test_target_with_one_class():
    with pytest.raises(InvalidInputError, match=r"The column 'y' has a single class \['good'\]; .*Audit a sample that "
                                                 r"contains every class"):
        AuditDataset.from_frame(frame().assign(y="good"), target="y", positive_label="good")


def test_nan_in_the_target():
    df = frame()
    df["y"] = df["y"].astype(object)
    df.loc[[3, 7], "y"] = np.nan
    with pytest.raises(InvalidInputError, match=r"The column 'y' has 2 missing value\(s\); .*Drop those rows or fill"):
        AuditDataset.from_frame(df, target="y", positive_label="good")


def test_missing_features_are_listed_with_the_columns_that_exist():
    with pytest.raises(InvalidInputError, match=r"The feature columns \['income', 'job'\] are not in the data; columns "
                                                 r"are \['x', 'age_years', 'sex', 'y', 'p', 's'\]"):
        AuditDataset.from_frame(frame(), target="y", positive_label="good", features=["x", "income", "job"])


def test_missing_sensitive_values_form_the_unknown_group():
    df = frame().astype({"sex": object})
    df.loc[0, "sex"] = None
    data = AuditDataset.from_frame(df, target="y", positive_label="good", sensitive=["sex"])
    assert data.groups["sex"].iloc[0] == UNKNOWN_GROUP == "unknown"
    assert data.describe([])["group_sizes"]["sex"][UNKNOWN_GROUP] == 1
