"""AuditDataset: validation at the boundary, groups, bins and hashing."""

import numpy as np
import pandas as pd
import pytest

from xai_audit import AuditDataset, InvalidInputError


def frame():
    return pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "age": [22, 40, np.nan, 67],
                         "sex": ["f", "m", None, "m"], "y": ["bad", "good", "good", "bad"]})


def test_groups_keep_missing_values_as_unknown():
    data = AuditDataset.from_frame(frame(), target="y", positive_label="good", sensitive=["sex"])
    assert data.groups["sex"].tolist() == ["f", "m", "unknown", "m"]
    assert data.describe(["x"])["group_sizes"]["sex"] == {"f": 1, "m": 2, "unknown": 1}


def test_continuous_attribute_is_binned_by_stated_edges():
    data = AuditDataset.from_frame(frame(), target="y", positive_label="good", sensitive=["age"], bins={"age": [25, 60]})
    assert data.groups["age"].tolist() == ["< 25", "25 to < 60", "unknown", ">= 60"]


def test_edge_value_goes_to_the_upper_bin():
    df = frame().assign(age=[25, 24.9, 30, 60])
    data = AuditDataset.from_frame(df, target="y", positive_label="good", sensitive=["age"], bins={"age": [25]})
    assert data.groups["age"].tolist() == [">= 25", "< 25", ">= 25", ">= 25"]


@pytest.mark.parametrize("options, message", [
    ({"target": "default"}, r"The target column 'default' is not in the data; columns are \['x', 'age', 'sex', 'y'\]"),
    ({"target": "y", "positive_label": "good", "sensitive": ["race"]}, "sensitive attribute column 'race' is not in the data"),
    ({"target": "y", "positive_label": "excellent"}, r"positive_label 'excellent' is not a value of 'y'"),
    ({"target": "y"}, r"say which one is the favourable outcome with positive_label"),
    ({"target": "y", "positive_label": "good", "features": ["x", "z"]}, "feature column 'z' is not in the data"),
    ({"target": "y", "positive_label": "good", "predictions": "p"}, "predictions column 'p' is not in the data"),
    ({"target": "y", "positive_label": "good", "sensitive": ["x"], "bins": {"age": [25]}}, r"Bins were given for \['age'\]"),
])
def test_bad_roles_name_the_problem(options, message):
    with pytest.raises(InvalidInputError, match=message):
        AuditDataset.from_frame(frame(), **options)


def test_empty_data():
    with pytest.raises(InvalidInputError, match="The data has no rows"):
        AuditDataset.from_frame(frame().iloc[:0], target="y")


def test_one_class_target():
    df = frame().assign(y="good")
    with pytest.raises(InvalidInputError, match="has a single class"):
        AuditDataset.from_frame(df, target="y", positive_label="good")


def test_missing_target_values():
    df = frame().astype({"y": object})
    df.loc[0, "y"] = None
    with pytest.raises(InvalidInputError, match="1 missing value"):
        AuditDataset.from_frame(df, target="y", positive_label="good")


def test_duplicate_column_names():
    df = pd.concat([frame(), frame()[["x"]]], axis=1)
    with pytest.raises(InvalidInputError, match=r"duplicate column names \['x'\]"):
        AuditDataset.from_frame(df, target="y", positive_label="good")


def test_sensitive_attribute_with_hundreds_of_values_suggests_bins():
    df = pd.DataFrame({"income": np.arange(300.0), "y": [0, 1] * 150})
    with pytest.raises(InvalidInputError, match=r"'income' is numeric with 300 distinct values; .* Give bins, e\.g\. "
                                                 r"bins=\{'income': \[100, 199\]\} or --bins income=100,199"):
        AuditDataset.from_frame(df, target="y", sensitive=["income"])


def test_scores_must_be_finite():
    df = frame().assign(s=[0.1, np.inf, 0.3, 0.4])
    with pytest.raises(InvalidInputError, match="scores column 's' has missing or infinite"):
        AuditDataset.from_frame(df, target="y", positive_label="good", scores="s")


def test_task_inference():
    df = pd.DataFrame({"x": np.arange(50.0), "r": np.linspace(0, 1, 50), "m": [0, 1, 2, 3, 4] * 10})
    assert AuditDataset.from_frame(df, target="r").task == "regression"
    assert AuditDataset.from_frame(df, target="m").task == "multiclass"
    assert AuditDataset.from_frame(df.assign(b=[0, 1] * 25), target="b").positive_label == 1


def test_hash_changes_with_any_value():
    a = AuditDataset.from_frame(frame(), target="y", positive_label="good")
    changed = frame()
    changed.loc[2, "x"] = 3.5
    b = AuditDataset.from_frame(changed, target="y", positive_label="good")
    assert a.sha256 == AuditDataset.from_frame(frame(), target="y", positive_label="good").sha256
    assert a.sha256 != b.sha256


def test_files(tmp_path):
    frame().to_csv(tmp_path / "d.csv", index=False)
    frame().to_parquet(tmp_path / "d.parquet")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    assert AuditDataset.from_csv(tmp_path / "d.csv", target="y", positive_label="good").n_rows == 4
    assert AuditDataset.from_parquet(tmp_path / "d.parquet", target="y", positive_label="good").n_rows == 4
    with pytest.raises(InvalidInputError, match="could not be read as Parquet"):
        AuditDataset.from_parquet(tmp_path / "bad.parquet", target="y")
    with pytest.raises(InvalidInputError, match="does not exist"):
        AuditDataset.from_csv(tmp_path / "missing.csv", target="y")


def test_images():
    data = AuditDataset.from_arrays(np.zeros((6, 1, 8, 8)), [0, 1, 2] * 2, sensitive={"site": ["a", "b"] * 3})
    assert data.images.shape == (6, 1, 8, 8) and data.groups["site"].tolist() == ["a", "b"] * 3
    with pytest.raises(InvalidInputError, match="NaN or infinite"):
        AuditDataset.from_arrays(np.full((2, 8, 8), np.nan), [0, 1])
    with pytest.raises(InvalidInputError, match="'label' has 3 values for 2 images"):
        AuditDataset.from_arrays(np.zeros((2, 8, 8)), [0, 1, 1])
