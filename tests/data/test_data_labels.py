"""FeatureLabels: plain names from a dict or labels.toml, refused typos, and the record's data.labels."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import xai_audit as xa
from xai_audit import InvalidInputError
from xai_audit.data import FeatureLabels
from xai_audit.result import validate_record

SAMPLES = Path(__file__).resolve().parents[2] / "sample_models"
DESIGN_LABELS = {"duration_months": "Loan duration (months)",
                 "checking_status": {"name": "Checking account", "values": {"A11": "balance below 0 DM"}}}


def frame():
    return pd.DataFrame({"duration_months": [6, 12, 24, 48], "checking_status": ["A11", "A12", "A11", "A14"],
                         "sex": ["f", "m", "f", "m"], "y": ["good", "bad", "good", "bad"]})


def test_names_and_values_fall_back_to_the_column_and_code():
    labels = FeatureLabels.from_dict(DESIGN_LABELS)
    assert labels.name("duration_months") == "Loan duration (months)"
    assert labels.name("checking_status") == "Checking account"
    assert labels.name("sex") == "sex"
    assert labels.value("checking_status", "A11") == "balance below 0 DM"
    assert labels.value("checking_status", "A14") == "A14"
    assert labels.value("duration_months", 6) == "6"
    assert labels.to_dict() == {"duration_months": {"name": "Loan duration (months)", "values": {}},
                                "checking_status": {"name": "Checking account",
                                                    "values": {"A11": "balance below 0 DM"}}}


def test_numeric_codes_become_text_and_match_numbers():
    labels = FeatureLabels.from_dict({"job": {"values": {1: "unskilled", 2: "skilled"}}})
    assert labels.name("job") == "job"
    assert labels.to_dict() == {"job": {"name": "job", "values": {"1": "unskilled", "2": "skilled"}}}
    assert labels.value("job", np.int64(2)) == "skilled" and labels.value("job", 1.0) == "unskilled"


def test_toml_file_has_the_same_shape(tmp_path):
    path = tmp_path / "labels.toml"
    path.write_text('duration_months = "Loan duration (months)"\n\n[checking_status]\nname = "Checking account"\n'
                    '[checking_status.values]\nA11 = "balance below 0 DM"\n', encoding="utf-8")
    assert FeatureLabels.from_toml(path) == FeatureLabels.from_dict(DESIGN_LABELS)
    assert FeatureLabels.coerce(str(path)) == FeatureLabels.coerce(path) == FeatureLabels.from_dict(DESIGN_LABELS)


@pytest.mark.parametrize("labels, message", [
    ({"x": 3}, r"The labels entry for 'x' must be a plain name \(text\) or a table with 'name' and 'values'; got int"),
    ({"x": {"name": "X", "value": {}}}, r"has the keys \['value'\]; only 'name' and 'values' are allowed"),
    ({"x": {"name": 4}}, r"The labels 'name' of 'x' must be text; got 4"),
    ({"x": {"values": ["a"]}}, r"'values' of 'x' must be a table from code to plain words"),
    ({"x": {"values": {"A11": 3, "A12": "ok"}}}, r"must map each code to text; these do not: \{'A11': 3\}"),
    (["x"], r"The labels must be a table"),
])
def test_malformed_labels_are_refused(labels, message):
    with pytest.raises(InvalidInputError, match=message):
        FeatureLabels.from_dict(labels)


def test_bad_toml_names_the_file(tmp_path):
    path = tmp_path / "labels.toml"
    path.write_text("x = [1\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"labels.toml' is not valid TOML"):
        FeatureLabels.from_toml(path)
    path.write_text("[x]\nvalues = { A11 = 1 }\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"labels file '.*labels.toml' 'values' of 'x' must map each code"):
        FeatureLabels.from_toml(path)


def test_dataset_keeps_labels_and_states_them_in_the_record():
    data = xa.AuditDataset.from_frame(frame(), target="y", positive_label="good", sensitive=["sex"],
                                      labels=DESIGN_LABELS)
    assert isinstance(data.labels, FeatureLabels) and data.labels.name("duration_months") == "Loan duration (months)"
    section = data.describe(["duration_months", "checking_status"])
    assert section["labels"] == FeatureLabels.from_dict(DESIGN_LABELS).to_dict()
    unlabelled = xa.AuditDataset.from_frame(frame(), target="y", positive_label="good")
    assert unlabelled.labels == FeatureLabels() and unlabelled.describe([])["labels"] == {}


def test_a_typo_in_the_labels_is_refused_with_the_columns():
    with pytest.raises(InvalidInputError, match=r"The labels name the columns \['duration_month'\], which are not in "
                                                 r"the data; its columns are \['duration_months', 'checking_status', "
                                                 r"'sex', 'y'\]\. Fix the spelling"):
        xa.AuditDataset.from_frame(frame(), target="y", positive_label="good", labels={"duration_month": "Duration"})


def test_labels_may_name_file_columns_that_were_not_read(tmp_path):
    path = tmp_path / "d.parquet"
    frame().to_parquet(path)
    data = xa.AuditDataset.from_parquet(path, target="y", positive_label="good", columns=["sex", "y"],
                                        labels=DESIGN_LABELS | {"sex": "Sex"})
    assert data.labels.to_dict() == {"sex": {"name": "Sex", "values": {}}}
    with pytest.raises(InvalidInputError, match=r"\['sexx'\], which are not in the Parquet file"):
        xa.AuditDataset.from_parquet(path, target="y", positive_label="good", columns=["sex", "y"],
                                     labels={"sexx": "Sex"})
    csv_path = tmp_path / "d.csv"
    frame().to_csv(csv_path, index=False)
    data = xa.AuditDataset.from_file(csv_path, target="y", positive_label="good", columns=["sex", "y"],
                                     labels=DESIGN_LABELS)
    assert data.labels.to_dict() == {}
    with pytest.raises(InvalidInputError, match=r"\['sexx'\], which are not in '.*d.csv'"):
        xa.AuditDataset.from_file(csv_path, target="y", positive_label="good", columns=["y"], labels={"sexx": "S"})


def test_german_credit_labels_cover_every_column_and_every_coded_value():
    labels = FeatureLabels.from_toml(SAMPLES / "german_credit_labels.toml")
    data = pd.read_csv(SAMPLES / "data" / "german_credit.csv")
    assert sorted(labels.columns) == sorted(data.columns)
    for column in data.columns:
        assert labels.name(column) != column, column
        if not pd.api.types.is_numeric_dtype(data[column]) and column not in ("sex", "age_group"):
            assert sorted(labels.values[column]) == sorted(data[column].unique()), column
    assert labels.value("checking_status", "... < 0 DM") == "balance below 0 DM"


def test_record_with_labels_follows_the_schema_and_old_records_still_load():
    data = xa.AuditDataset.from_frame(frame(), target="y", positive_label="good", labels=DESIGN_LABELS)
    record = {"schema_version": "1.1", "status": "pass", "model": {"name": "m", "framework": "sklearn", "task": "binary"},
              "data": data.describe(["duration_months"]), "performance": {}, "findings": [],
              "manifest": {"tool_version": "0", "packages": {}, "random_state": 0,
                           "created_at": "2026-01-01T00:00:00+00:00", "config": {}}}
    validate_record(record)
    record["data"]["labels"]["duration_months"]["values"] = {"6": 6}
    with pytest.raises(InvalidInputError, match=r"data/labels/duration_months/values/6"):
        validate_record(record)
    old = Path(__file__).resolve().parents[1] / "render" / "records" / "minimal.json"
    assert xa.AuditResult.load_json(old).schema_version == "1.0"
