"""The command line's contract with pipelines: exit codes, one-paragraph errors, gate outputs."""

import pickle
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.test_batch import write_workspace
from tests.test_gate import load_rules, schema_problems
from xai_audit.cli import main


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return write_workspace(tmp_path_factory.mktemp("cli"))


def run_args(workspace, *extra, model="model.skops", data="data.csv", policy="passing.toml"):
    return ["run", "--model", str(workspace / model), "--data", str(workspace / data), "--target", "outcome",
            "--positive-label", "repaid", "--sensitive", "sex", "--policy", str(workspace / policy), *extra]


def assert_one_paragraph(err: str, *expected: str):
    text = err.strip()
    assert text.startswith("xai-audit: ") and "Traceback" not in text and "\n\n" not in text
    for part in expected:
        assert part in text


@pytest.mark.parametrize(("policy", "code", "status"), [("passing.toml", 0, "pass"), ("warning.toml", 0, "warn"),
                                                        ("failing.toml", 1, "fail")])
def test_run_exit_code_follows_the_verdict(workspace, tmp_path, capsys, policy, code, status):
    assert main(run_args(workspace, "--format", "json", "--out", str(tmp_path), "--name", "r", policy=policy)) == code
    assert capsys.readouterr().out.strip() == f"json: {tmp_path / 'r.json'}"
    assert f'"status": "{status}"' in (tmp_path / "r.json").read_text()


def test_missing_file_is_exit_2_with_a_message(workspace, tmp_path, capsys):
    assert main(run_args(workspace, "--format", "json", "--out", str(tmp_path), data="nowhere.csv")) == 2
    assert_one_paragraph(capsys.readouterr().err, "nowhere.csv' does not exist; check the path.")
    assert not list(tmp_path.iterdir())


def test_pickle_model_is_refused_with_exit_2(workspace, tmp_path, capsys):
    model = tmp_path / "model.pkl"
    model.write_bytes(pickle.dumps(print))
    assert main(run_args(workspace, "--format", "json", "--out", str(tmp_path), model=model)) == 2
    assert_one_paragraph(capsys.readouterr().err, "is a pickle/joblib file", "refuses it by default",
                         "--trust-pickle")


def test_debug_shows_the_traceback(workspace, tmp_path, capsys):
    assert main(run_args(workspace, "--format", "json", "--out", str(tmp_path), "--debug", data="nowhere.csv")) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "InvalidInputError" in err
    assert err.rstrip().splitlines()[-1].startswith("xai-audit: error: The data file")


def test_debug_before_the_command_also_shows_the_traceback(workspace, tmp_path, capsys):
    assert main(["--debug"] + run_args(workspace, "--format", "json", "--out", str(tmp_path), data="nowhere.csv")) == 2
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_usage_errors_are_exit_2(workspace, capsys):
    assert main(["run", "--data", str(workspace / "data.csv"), "--target", "outcome"]) == 2
    assert_one_paragraph(capsys.readouterr().err, "Give --model FILE, or --predictions COLUMN")
    assert main(run_args(workspace, "--format", "json,docx")) == 2
    assert_one_paragraph(capsys.readouterr().err, "--format 'json,docx' names ['docx']")
    assert main(run_args(workspace, "--bins", "age=young")) == 2
    assert_one_paragraph(capsys.readouterr().err, "--bins 'age=young': 'young' is not a number; give numbers, e.g. age=25,40.")
    assert main(["run", "--model", "m.skops"]) == 2  # neither --data nor --summaries
    assert_one_paragraph(capsys.readouterr().err, "Give --data FILE (the rows to audit), or --summaries FILE")
    with pytest.raises(SystemExit) as stopped:  # argparse's own usage errors exit with 2 too
        main(["run", "--data", "d.csv", "--seed", "x"])
    assert stopped.value.code == 2


def test_unexpected_exception_is_exit_2_and_debug_shows_it(workspace, tmp_path, capsys, monkeypatch):
    def explode(*args, **options):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("xai_audit.spec.AuditSpec.run", explode)
    assert main(run_args(workspace, "--out", str(tmp_path))) == 2
    assert_one_paragraph(capsys.readouterr().err, "unexpected error (RuntimeError): disk on fire", "--debug")
    assert main(run_args(workspace, "--out", str(tmp_path), "--debug")) == 2
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_junit_output_of_run(workspace, tmp_path, capsys):
    code = main(run_args(workspace, "--format", "html", "--out", str(tmp_path), "--name", "credit",
                         "--junit", str(tmp_path / "ci" / "junit.xml"), policy="failing.toml"))
    out = capsys.readouterr().out
    assert code == 1
    assert f"junit: {tmp_path / 'ci' / 'junit.xml'}" in out and f"json: {tmp_path / 'credit.json'}" in out
    assert (tmp_path / "credit.html").is_file()  # the JSON record is written too: the gate reads it
    root = ET.parse(tmp_path / "ci" / "junit.xml").getroot()
    assert schema_problems(root, load_rules()) == []
    suite = root.find("testsuite")
    assert suite.get("name") == "credit" and suite.get("failures") == "1"
    assert suite.find("testcase").get("name") == "performance.accuracy"
    assert suite.find("testcase/failure") is not None


def test_markdown_output_of_run(workspace, tmp_path, capsys):
    pytest.importorskip("xai_audit.render.markdown", reason="the Markdown renderer is not in this tree yet")
    code = main(run_args(workspace, "--format", "json", "--out", str(tmp_path), "--name", "credit",
                         "--markdown", str(tmp_path / "comment.md")))
    assert code == 0 and f"markdown: {tmp_path / 'comment.md'}" in capsys.readouterr().out
    assert (tmp_path / "comment.md").read_text().strip()


def test_console_script_exit_code_and_message(workspace, tmp_path):
    script = Path(sys.executable).with_name("xai-audit")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "xai_audit.cli"]
    finished = subprocess.run(command + run_args(workspace, "--format", "json", "--out", str(tmp_path),
                                                 data="nowhere.csv"),
                              capture_output=True, text=True, timeout=120)
    assert finished.returncode == 2 and finished.stdout == ""
    assert_one_paragraph(finished.stderr, "nowhere.csv' does not exist")


def test_demo_writes_the_report_and_exits_0_whatever_the_verdict(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("Verdict: ") and f"Report: {(tmp_path / 'demo.html').resolve()}" in out
    html = (tmp_path / "demo.html").read_text(encoding="utf-8")
    assert "German credit gradient boosting (sample)" in html and "Adverse-action reasons" in html


def test_model_card_file_reaches_the_report(workspace, tmp_path):
    card = tmp_path / "card.toml"
    card.write_text('[model_card]\nintended_use = "Screening <b>loans</b>"\ndata_period = "2023-01 to 2024-06"\n')
    assert main(run_args(workspace, "--format", "html,json", "--out", str(tmp_path), "--model-card", str(card))) in (0, 1)
    html = next(tmp_path.glob("*.html")).read_text(encoding="utf-8")
    assert "2023-01 to 2024-06" in html and "Screening &lt;b&gt;loans&lt;/b&gt;" in html


def test_a_model_card_with_an_unknown_key_is_exit_2(workspace, tmp_path, capsys):
    card = tmp_path / "card.toml"
    card.write_text('intended_usage = "typo"\n')
    assert main(run_args(workspace, "--out", str(tmp_path), "--model-card", str(card))) == 2
    assert "unknown keys ['intended_usage']" in capsys.readouterr().err


def test_a_closed_pipe_ends_quietly(tmp_path):
    import subprocess
    import sys

    # The reader closes its end before the demo prints, so every print meets a closed pipe.
    process = subprocess.Popen([sys.executable, "-m", "xai_audit.cli", "demo", "--out", str(tmp_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdout.close()
    stderr = process.communicate()[1]
    assert "Traceback" not in stderr and "unexpected error" not in stderr and "BrokenPipe" not in stderr, stderr
    assert (tmp_path / "demo.html").is_file()


@pytest.mark.parametrize(("extra", "expected"), [
    (("--name", "../../escaped"), "could leave it"),
    (("--seed", "-3"), "non-negative whole number; got -3"),
    (("--labels", "no-such-labels.toml"), "labels file 'no-such-labels.toml' does not exist"),
    (("--model-card", "."), "model card file '.' is a folder"),
])
def test_the_spec_is_checked_before_any_work(workspace, tmp_path, capsys, extra, expected):
    assert main(run_args(workspace, "--format", "json", "--out", str(tmp_path / "out"), *extra)) == 2
    assert_one_paragraph(capsys.readouterr().err, expected)
    assert not (tmp_path / "out").exists() and not list(tmp_path.parent.glob("escaped*"))


def test_out_that_is_a_file_is_refused(workspace, tmp_path, capsys):
    (tmp_path / "taken").write_text("")
    assert main(run_args(workspace, "--format", "json", "--out", str(tmp_path / "taken"))) == 2
    assert_one_paragraph(capsys.readouterr().err, "output folder", "is a file")


def test_help_answers_without_heavy_imports():
    code = ("import sys\nfrom xai_audit.cli.main import main\n"
            "try:\n    main(['run', '--help'])\nexcept SystemExit as stop:\n    assert stop.code == 0\n"
            "print(sorted(m for m in ('numpy', 'pandas', 'sklearn', 'shap', 'torch', 'matplotlib') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    assert "--labels FILE" in done.stdout and done.stdout.strip().splitlines()[-1] == "[]"
