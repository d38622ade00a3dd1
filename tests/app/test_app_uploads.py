"""Uploads in AppTest: model, data and policy files; refusals; errors beside their control; and the
HTML report, which must be the bytes the CLI writes for the same inputs apart from the creation time."""

from __future__ import annotations

import pickle
import re

import pandas as pd
import pytest

from tests.app.apptest_support import check_clean, errors, new_app, small_files  # noqa: F401  (fixture)


class RunsCodeWhenUnpickled:
    """Unpickling this creates a marker file: proof that a pickle ran code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def without_time(html: str, created: str) -> list[str]:
    """The report's lines with its creation time (however the report breaks it up) replaced."""
    pattern = "(?:<wbr>)?".join(re.escape(character) for character in created)
    return re.sub(pattern, "CREATED", html).splitlines()


def upload(at, key, path, mime="application/octet-stream"):
    at.file_uploader(key=key).set_value((path.name, path.read_bytes(), mime))
    return at.run()


def uploaded_app(small_files, *, policy=True):
    """The app with the small model, data and (optionally) the fast policy uploaded and roles set."""
    at = new_app().run()
    at.radio(key="keep_source").set_value("upload").run()
    upload(at, "upload_model", small_files / "credit.skops")
    upload(at, "upload_data", small_files / "credit.csv", "text/csv")
    at.selectbox(key="keep_target").set_value("outcome").run()
    at.selectbox(key="keep_positive").set_value("repaid").run()
    at.multiselect(key="keep_sensitive").set_value(["sex", "age"]).run()
    at.text_input(key="keep_bins::age").set_value("40").run()
    if policy:
        at.radio(key="keep_policy").set_value("upload").run()
        upload(at, "upload_policy", small_files / "fast.toml")
    check_clean(at)
    assert not errors(at), errors(at)
    return at


def test_upload_flow_html_is_the_cli_report(small_files, tmp_path, monkeypatch):
    at = uploaded_app(small_files)
    at.button(key="btn_run").click().run()
    check_clean(at)
    entry = at.session_state["audit_results"][at.session_state["audit_current"]]
    # the policy's own defaults: the spec overrides nothing (as the CLI run below), and the
    # settings name the values used
    assert entry.spec.explain_rows is None and entry.spec.n_resamples is None
    assert entry.settings["explain_rows"] == 5 and entry.settings["n_resamples"] == 50
    at.switch_page("views/report.py").run()
    check_clean(at)
    app_html = entry.views["html"].decode("utf-8")

    from xai_audit.cli import main
    from xai_audit.result import AuditResult

    monkeypatch.chdir(small_files)
    code = main(["run", "--model", "credit.skops", "--data", "credit.csv", "--target", "outcome",
                 "--positive-label", "repaid", "--sensitive", "sex,age", "--bins", "age=40",
                 "--policy", "fast.toml", "--out", str(tmp_path), "--name", "credit", "--seed", "0"])
    assert code in (0, 1)
    cli_html = (tmp_path / "credit.html").read_text(encoding="utf-8")
    cli_created = AuditResult.load_json(tmp_path / "credit.json").manifest["created_at"]
    app_created = entry.result.manifest["created_at"]
    same_time = [without_time(html, created) for html, created in ((app_html, app_created), (cli_html, cli_created))]
    assert same_time[0] == same_time[1]


def test_pickle_upload_is_refused_and_never_loaded(tmp_path):
    marker = tmp_path / "code-ran"
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(RunsCodeWhenUnpickled(str(marker))))
    at = new_app().run()
    at.radio(key="keep_source").set_value("upload").run()
    upload(at, "upload_model", path)
    check_clean(at)
    message = " ".join(errors(at))
    assert "refused" in message and "anyone who can reach this app" in message and "--allow-pickle" in message
    assert not marker.exists()
    assert "uploaded_model" not in at.session_state


def test_pickle_upload_loads_when_the_app_was_started_with_the_opt_in(small_files, tmp_path, monkeypatch):
    import joblib
    import skops.io as sio

    monkeypatch.setenv("XAI_AUDIT_ALLOW_PICKLE", "1")
    path = tmp_path / "model.joblib"
    model_file = small_files / "credit.skops"
    joblib.dump(sio.load(model_file, trusted=sio.get_untrusted_types(file=model_file)), path)
    at = new_app().run()
    at.radio(key="keep_source").set_value("upload").run()
    upload(at, "upload_model", path)
    check_clean(at)
    assert not errors(at), errors(at)
    assert at.session_state["uploaded_model"].framework == "sklearn"
    assert any("accepted (--allow-pickle)" in c.value for c in at.sidebar.caption)


def test_manifest_that_would_run_uploaded_code_is_refused(tmp_path):
    marker = tmp_path / "code-ran"
    (tmp_path / "net.py").write_text(f"open({str(marker)!r}, 'w')\nclass Net: pass\n")
    (tmp_path / "weights.pt").write_bytes(b"not really weights")
    (tmp_path / "model.toml").write_text('[model]\nfile = "weights.pt"\narchitecture = "net.py:Net"\ntask = "binary"\n')
    at = new_app().run()
    at.radio(key="keep_source").set_value("upload").run()
    at.file_uploader(key="upload_model").set_value(
        [(p.name, p.read_bytes(), "application/octet-stream") for p in
         (tmp_path / "model.toml", tmp_path / "weights.pt", tmp_path / "net.py")]).run()
    check_clean(at)
    assert any("refuses uploaded code" in e for e in errors(at)), errors(at)
    assert not marker.exists()


def test_manifest_calling_a_function_is_refused(tmp_path):
    pytest.importorskip("torch", reason="manifests describe PyTorch models (the 'torch' extra)")
    (tmp_path / "weights.pt").write_bytes(b"x")
    (tmp_path / "model.toml").write_text('[model]\nfile = "weights.pt"\narchitecture = "os:system"\n'
                                         'architecture_args = {command = "true"}\ntask = "binary"\n')
    at = new_app().run()
    at.radio(key="keep_source").set_value("upload").run()
    at.file_uploader(key="upload_model").set_value(
        [(p.name, p.read_bytes(), "application/octet-stream")
         for p in (tmp_path / "model.toml", tmp_path / "weights.pt")]).run()
    assert any("not a torch.nn.Module class" in e for e in errors(at)), errors(at)


def test_bad_target_shows_an_error_beside_it_and_keeps_the_rest(small_files):
    at = uploaded_app(small_files, policy=False)
    at.multiselect(key="keep_sensitive").set_value(["age"]).run()   # a target cannot also be sensitive
    at.selectbox(key="keep_target").set_value("sex").run()
    check_clean(at)
    message = " ".join(errors(at))
    assert "'sex'" in message and ("favourable" in message or "does not predict" in message), errors(at)
    assert at.button(key="btn_run").disabled
    assert at.multiselect(key="keep_sensitive").value == ["age"]
    assert at.session_state["uploaded_model"].name == "credit.skops"
    assert at.text_input(key="keep_bins::age").value == "40"
    at.selectbox(key="keep_target").set_value("outcome").run()
    at.selectbox(key="keep_positive").set_value("repaid").run()
    assert not errors(at), errors(at)
    assert not at.button(key="btn_run").disabled


def test_target_the_model_does_not_predict_is_caught_before_the_run(small_files):
    at = uploaded_app(small_files, policy=False)
    at.multiselect(key="keep_sensitive").set_value(["age"]).run()   # a target cannot also be sensitive
    at.selectbox(key="keep_target").set_value("sex").run()
    at.selectbox(key="keep_positive").set_value("female").run()
    check_clean(at)
    assert any("does not predict" in e for e in errors(at)), errors(at)
    assert at.button(key="btn_run").disabled


def test_bad_bin_edges_show_an_error_beside_them(small_files):
    at = uploaded_app(small_files, policy=False)
    at.text_input(key="keep_bins::age").set_value("forty").run()
    check_clean(at)
    assert any("--bins" in e or "COLUMN=EDGE" in e for e in errors(at)), errors(at)
    at.text_input(key="keep_bins::age").set_value("").run()
    assert any("61 distinct values" in e or "distinct values" in e for e in errors(at)), errors(at)


def test_unreadable_data_upload_keeps_the_loaded_model(small_files):
    at = new_app().run()
    at.radio(key="keep_source").set_value("upload").run()
    upload(at, "upload_model", small_files / "credit.skops")
    broken = ("broken.parquet", b"not parquet at all", "application/octet-stream")
    at.file_uploader(key="upload_data").set_value(broken).run()
    check_clean(at)
    assert any("could not be read as Parquet" in e for e in errors(at)), errors(at)
    assert at.session_state["uploaded_model"].name == "credit.skops"


def test_bad_policy_upload_shows_its_error(small_files, tmp_path):
    at = uploaded_app(small_files, policy=False)
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rules]]\nid = "x"\ncheck = "performance"\nmetric = "accuracy"\n'
                   'direction = "sideways"\nthreshold = 1\n')
    at.radio(key="keep_policy").set_value("upload").run()
    upload(at, "upload_policy", bad)
    check_clean(at)
    assert any("sideways" in e for e in errors(at)), errors(at)
    assert at.button(key="btn_run").disabled
    assert at.selectbox(key="keep_target").value == "outcome"


def test_predictions_only_audit(small_files, tmp_path):
    import skops.io as sio

    frame = pd.read_csv(small_files / "credit.csv")
    model = sio.load(small_files / "credit.skops", trusted=sio.get_untrusted_types(file=small_files / "credit.skops"))
    frame["decision"] = model.predict(frame[["income", "debt", "purpose", "age"]])
    frame["score"] = model.predict_proba(frame[["income", "debt", "purpose", "age"]])[:, 1]
    path = tmp_path / "vendor.csv"
    frame.to_csv(path, index=False)
    at = new_app().run()
    at.radio(key="keep_source").set_value("predictions").run()
    upload(at, "upload_data", path, "text/csv")
    at.selectbox(key="keep_target").set_value("outcome").run()
    at.selectbox(key="keep_positive").set_value("repaid").run()
    at.multiselect(key="keep_sensitive").set_value(["sex"]).run()
    at.selectbox(key="keep_predictions").set_value("decision").run()
    at.selectbox(key="keep_scores").set_value("score").run()
    at.number_input(key="keep_resamples").set_value(50).run()
    check_clean(at)
    assert not errors(at), errors(at)
    at.button(key="btn_run").click().run()
    check_clean(at)
    entry = at.session_state["audit_results"][at.session_state["audit_current"]]
    assert entry.adapter is None and entry.result.model["framework"] == "predictions"
    for page in ("explanations", "what_if", "fairness", "report"):
        at.switch_page(f"views/{page}.py").run()
        check_clean(at)
    at.switch_page("views/what_if.py").run()
    assert any("not computed in this audit" in i.value for i in at.info)


@pytest.mark.parametrize("name", ["credit.skops"])
def test_model_caption_names_the_uploaded_file(small_files, name):
    at = new_app().run()
    at.radio(key="keep_source").set_value("upload").run()
    upload(at, "upload_model", small_files / name)
    assert any(name in c.value.replace("\\", "") for c in at.caption)


def test_user_text_in_messages_is_escaped_not_rendered(small_files, tmp_path):
    frame = pd.read_csv(small_files / "credit.csv")
    frame["[click me](http://evil.example)"] = ["a", "b", "c"] * (len(frame) // 3)
    path = tmp_path / "odd.csv"
    frame.to_csv(path, index=False)
    at = new_app().run()
    at.radio(key="keep_source").set_value("upload").run()
    upload(at, "upload_model", small_files / "credit.skops")
    upload(at, "upload_data", path, "text/csv")
    at.selectbox(key="keep_target").set_value("[click me](http://evil.example)").run()
    check_clean(at)
    raw = " ".join(e.value for e in at.error)
    assert "click me" in raw and "](http" not in raw and "\\[click me\\]" in raw
