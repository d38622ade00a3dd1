"""AuditSpec: one description of an audit run for the CLI, the batch file and the app."""

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_batch import write_workspace
from xai_audit import InvalidInputError
from xai_audit.spec import AuditSpec, parse_bins


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return write_workspace(tmp_path_factory.mktemp("spec"))


def spec_for(workspace, tmp_path, **changes):
    base = AuditSpec(model=workspace / "model.skops", data=workspace / "data.csv", target="outcome",
                     positive_label="repaid", sensitive=("sex",), policy=str(workspace / "passing.toml"),
                     out=tmp_path / "out", name="credit", formats=("json",))
    return replace(base, **changes)


def test_a_valid_spec_passes_validation_and_creates_nothing(workspace, tmp_path):
    spec = spec_for(workspace, tmp_path)
    assert spec.validate() is spec
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": "../../x"}, "could leave it"),
    ({"name": ".."}, "could leave it"),
    ({"name": "a/b"}, "could leave it"),
    ({"random_state": -1}, "non-negative whole number; got -1"),
    ({"random_state": 1.5}, "non-negative whole number; got 1.5"),
    ({"random_state": True}, "non-negative whole number; got True"),
    ({"formats": ("json", "docx")}, "name \\['docx'\\]"),
    ({"formats": ()}, "choose from"),
    ({"workers": 0}, "positive number of processes"),
    ({"model": None}, "Give --model FILE, or --predictions COLUMN"),
])
def test_invalid_settings_are_refused_with_the_fix(workspace, tmp_path, changes, message):
    with pytest.raises(InvalidInputError, match=message):
        spec_for(workspace, tmp_path, **changes).validate()


def test_paths_must_be_files_and_out_a_writable_folder(workspace, tmp_path):
    with pytest.raises(InvalidInputError, match="data file '.*nowhere.csv' does not exist"):
        spec_for(workspace, tmp_path, data=tmp_path / "nowhere.csv").validate()
    with pytest.raises(InvalidInputError, match="model file '.*' is a folder"):
        spec_for(workspace, tmp_path, model=workspace).validate()
    with pytest.raises(InvalidInputError, match="labels file '.*labels.toml' does not exist"):
        spec_for(workspace, tmp_path, labels=tmp_path / "labels.toml").validate()
    with pytest.raises(InvalidInputError, match="policy file '.*missing.toml' does not exist"):
        spec_for(workspace, tmp_path, policy=str(tmp_path / "missing.toml")).validate()
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InvalidInputError, match="output folder '.*afile' is a file"):
        spec_for(workspace, tmp_path, out=tmp_path / "afile").validate()
    with pytest.raises(InvalidInputError, match="output folder '.*' cannot be written"):
        spec_for(workspace, tmp_path, out=tmp_path / "afile" / "below").validate()
    with pytest.raises(InvalidInputError, match="junit output '.*' is a folder"):
        spec_for(workspace, tmp_path, junit=tmp_path).validate()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_out_folder_is_refused(workspace, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(InvalidInputError, match="cannot be written"):
            spec_for(workspace, tmp_path, out=locked / "reports").validate()
    finally:
        locked.chmod(0o700)


def test_load_run_write_gives_the_same_record_as_the_library(workspace, tmp_path):
    import pandas as pd

    import xai_audit as xa

    spec = spec_for(workspace, tmp_path, formats=("json", "md"))
    adapter, data, policy = spec.load()
    assert adapter.framework == "sklearn" and data.n_rows == 200 and policy is not None
    result = spec.run(loaded=(adapter, data, policy))
    paths = spec.write(result)
    assert set(paths) == {"json", "md"} and paths["json"] == tmp_path / "out" / "credit.json"
    record = json.loads(paths["json"].read_text())
    frame = pd.read_csv(workspace / "data.csv")
    direct = xa.audit(xa.load_model(workspace / "model.skops"),
                      xa.AuditDataset.from_frame(frame, target="outcome", positive_label="repaid", sensitive=["sex"]),
                      policy=str(workspace / "passing.toml"), random_state=0)
    assert record["status"] == direct.status
    assert record["fairness"]["sex"]["groups"] == json.loads(json.dumps(direct.to_dict()["fairness"]["sex"]["groups"]))


def test_predictions_only_spec_runs_without_a_model(workspace, tmp_path):
    import pandas as pd

    frame = pd.read_csv(workspace / "data.csv")
    frame["decision"] = frame["outcome"]
    spec = AuditSpec(data=frame, predictions="decision", target="outcome", positive_label="repaid",
                     sensitive=("sex",), out=tmp_path, name="p", formats=("json",))
    result = spec.validate().run()
    assert result.to_dict()["model"]["framework"] == "predictions"
    assert spec.key() == replace(spec).key()


def test_junit_and_markdown_add_the_json_record(workspace, tmp_path):
    spec = spec_for(workspace, tmp_path, formats=("html",), junit=tmp_path / "ci" / "j.xml",
                    markdown=tmp_path / "ci" / "m.md")
    assert spec.output_formats == ("html", "json")
    paths = spec.write(spec.run())
    assert {"html", "json", "junit", "markdown"} <= set(paths)
    assert Path(paths["junit"]).is_file() and Path(paths["markdown"]).is_file()


def test_labels_are_passed_to_the_dataset_or_refused_clearly(workspace, tmp_path):
    import inspect

    import xai_audit as xa

    labels = tmp_path / "labels.toml"
    labels.write_text('income = "Yearly income"\n')
    spec = spec_for(workspace, tmp_path, labels=labels)
    if "labels" in inspect.signature(xa.AuditDataset.from_frame).parameters:
        _, data, _ = spec.load()
        assert data is not None
    else:
        with pytest.raises(InvalidInputError, match="does not read labels yet"):
            spec.load()


def test_key_changes_with_every_input_and_setting(workspace, tmp_path):
    spec = spec_for(workspace, tmp_path)
    key = spec.key()
    assert key == spec_for(workspace, tmp_path).key() and len(key) == 64
    assert key != replace(spec, random_state=1).key()
    assert key != replace(spec, sensitive=("sex", "purpose")).key()
    assert key != replace(spec, policy=str(workspace / "failing.toml")).key()
    changed = tmp_path / "data.csv"
    changed.write_text((workspace / "data.csv").read_text().replace("repaid", "default", 1))
    assert key != replace(spec, data=changed).key()  # same settings, other bytes
    copy = tmp_path / "copy.csv"
    copy.write_bytes((workspace / "data.csv").read_bytes())
    assert spec.input_hashes()["data"]["sha256"] == replace(spec, data=copy).input_hashes()["data"]["sha256"]


def test_from_toml_table_applies_defaults_and_lists_every_problem(tmp_path):
    spec = AuditSpec.from_toml_table({"model": "m.skops", "data": "d.csv", "seed": 4, "labels": "l.toml"}, tmp_path,
                                     defaults={"target": "y", "sensitive": "sex, age", "out": "ignored", "seed": 9})
    assert (spec.model, spec.data, spec.labels) == (tmp_path / "m.skops", tmp_path / "d.csv", tmp_path / "l.toml")
    assert (spec.target, spec.sensitive, spec.random_state, spec.name) == ("y", ("sex", "age"), 4, "m")
    assert spec.out == tmp_path / "reports" and "json" in spec.formats
    with pytest.raises(InvalidInputError, match=r"3 problem\(s\).*unknown key 'colour'.*needs data.*seed must be a "
                                                r"whole number"):
        AuditSpec.from_toml_table({"model": "m.skops", "colour": 1, "seed": "x"}, tmp_path)


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True),
                       st.lists(st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 3)), min_size=1,
                                max_size=4, unique=True).map(sorted), max_size=3))
def test_parse_bins_round_trips(bins):
    """Strictly increasing edges written in the CLI form come back as the same numbers."""
    text = [f"{column}={','.join(repr(e) for e in edges)}" for column, edges in bins.items()]
    assert parse_bins(text) == {column: [float(e) for e in edges] for column, edges in bins.items()}
