"""Labels and column checks in AppTest: a labels file uploaded on Setup is part of the run (its key and
settings) and its plain names show on the pages; a data file that does not fit the model, or labels
that name absent columns, are refused with the expected and the found columns named."""

from __future__ import annotations

import pandas as pd

from tests.app.apptest_support import check_clean, errors, new_app, plain, small_files  # noqa: F401  (fixture)
from tests.app.test_app_state import upload_app
from tests.app.test_app_uploads import upload

LABELS = """\
income = "Monthly income"

[sex]
name = "Sex of applicant"
values = { female = "Women", male = "Men" }
"""


def test_a_labels_upload_is_part_of_the_run_and_names_every_page(small_files, tmp_path):
    at = upload_app(small_files)
    at.button(key="btn_run").click().run()
    check_clean(at)
    without = at.session_state["audit_current"]
    (tmp_path / "labels.toml").write_text(LABELS)
    upload(at, "upload_labels", tmp_path / "labels.toml")
    check_clean(at)
    assert not errors(at), errors(at)
    assert at.button(key="btn_run").label == "Run a new audit with the changed settings"
    assert any("plain names: none → labels.toml" in plain(m.value) for m in at.markdown)
    at.button(key="btn_run").click().run()
    check_clean(at)
    entry = at.session_state["audit_results"][at.session_state["audit_current"]]
    assert entry.key != without and entry.settings["labels"].startswith("labels.toml")
    assert entry.data.labels.name("income") == "Monthly income"

    at.switch_page("views/fairness.py").run()
    check_clean(at)
    assert "Sex of applicant" in at.selectbox(key="fairness_attribute").options
    compare = next(d.value for d in at.dataframe if {"difference", "ratio"} <= set(d.value.columns))
    assert set(compare["group"]) == {"Women", "Men (reference)"}
    assert all(" vs " not in (m.delta or "") or m.delta.startswith(("Women vs Men", "Men vs Women"))
               for m in at.metric)
    at.switch_page("views/performance.py").run()
    check_clean(at)
    assert "Sex of applicant" in at.selectbox(key="performance_attribute").options
    by_group = next(d.value for d in at.dataframe if "group" in d.value.columns and "Accuracy" in d.value.columns)
    assert set(by_group["group"]) == {"Women", "Men"}
    at.switch_page("views/report.py").run()
    check_clean(at)
    assert "--labels labels.toml" in at.code[0].value   # the command line that remakes this audit


def test_labels_naming_an_absent_column_are_refused_beside_the_upload(small_files, tmp_path):
    at = upload_app(small_files)
    (tmp_path / "labels.toml").write_text('salary = "Monthly salary"\n')
    upload(at, "upload_labels", tmp_path / "labels.toml")
    check_clean(at)
    assert any("salary" in e for e in errors(at)), errors(at)
    assert at.button(key="btn_run").disabled


def test_a_data_file_without_the_models_columns_names_expected_and_found(small_files, tmp_path):
    frame = pd.read_csv(small_files / "credit.csv").rename(columns={"income": "revenue"})
    frame.to_csv(tmp_path / "renamed.csv", index=False)
    at = new_app().run()
    at.radio(key="keep_source").set_value("upload").run()
    upload(at, "upload_model", small_files / "credit.skops")
    upload(at, "upload_data", tmp_path / "renamed.csv", "text/csv")
    check_clean(at)
    message = " ".join(errors(at))
    assert "income" in message and "revenue" in message and "expects" in message, message
    assert at.button(key="btn_run").disabled
