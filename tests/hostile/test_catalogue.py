"""The hostile-input catalogue: every careless or hostile input is refused before the audit, by the
command line (exit 2, one paragraph, no traceback, a message naming the problem and the fix, nothing
written) and by the Python API (an ``XaiAuditError`` subclass with the same message).

Each case is ``(id, spec fields, fragment of the expected message)``; ``{ws}`` in a value stands for
the workspace folder of :func:`write_inputs`.
"""

import math
import sys

import numpy as np
import pandas as pd
import pytest

from xai_audit.cli import main
from xai_audit.exceptions import XaiAuditError
from xai_audit.spec import AuditSpec


def write_inputs(folder):
    """A clean predictions-only CSV, and next to it the broken variants the catalogue feeds in."""
    rng = np.random.default_rng(0)
    n = 240
    frame = pd.DataFrame({"x": rng.normal(size=n), "sex": rng.choice(["F", "M"], n),
                          "age": rng.integers(18, 80, n), "y": rng.integers(0, 2, n)})
    frame["p"] = (frame["x"] > 0).astype(int)
    frame.to_csv(folder / "data.csv", index=False)
    (folder / "dup.csv").write_text("x,sex,sex,y,p\n" + "".join(f"{a:.3f},F,M,{b},{c}\n" for a, b, c in
                                                                 zip(frame.x, frame.y, frame.p)))
    (folder / "afolder").mkdir()
    (folder / "afile").write_text("not a folder")
    (folder / "self.toml").write_text('extends = "self.toml"\n')
    (folder / "a.toml").write_text('extends = "b.toml"\n')
    (folder / "b.toml").write_text('extends = "a.toml"\n')
    (folder / "model.pkl").write_bytes(b"\x80\x04N.")
    return folder


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return write_inputs(tmp_path_factory.mktemp("hostile"))


BASE = {"data": "{ws}/data.csv", "predictions": "p", "target": "y", "sensitive": ("sex",)}

CASES = [
    # where the outputs go
    ("name-leaves-out", {"name": "../../../x"}, "must be letters, digits"),
    ("name-absolute", {"name": "/etc/passwd"}, "must be letters, digits"),
    ("name-10000-chars", {"name": "a" * 10000}, "at most 120 characters"),
    ("out-is-a-file", {"out": "{ws}/afile"}, "is a file; give a folder path"),
    ("out-unwritable", {"out": "/proc/xai-audit-hostile"}, "cannot be written"),
    ("junit-is-a-folder", {"junit": "{ws}/afolder"}, "is a folder; give a file path"),
    ("markdown-is-a-folder", {"markdown": "{ws}/afolder"}, "is a folder; give a file path"),
    ("unknown-format", {"formats": ("html", "docx")}, "choose from"),
    # options
    ("seed-negative", {"random_state": -1}, "non-negative whole number"),
    ("workers-zero", {"workers": 0}, "positive number of processes"),
    ("bins-nan", {"sensitive": ("age",), "bins": {"age": [math.nan]}}, "finite"),
    ("no-model-no-predictions", {"predictions": None}, "Give --model FILE"),
    # data
    ("data-is-a-folder", {"data": "{ws}/afolder"}, "give a CSV or Parquet file"),
    ("data-missing", {"data": "{ws}/nowhere.csv"}, "does not exist; check the path"),
    ("duplicate-columns", {"data": "{ws}/dup.csv"}, "rename them so each column is unique"),
    ("sensitive-is-target", {"sensitive": ("y",)}, "is also the target column"),
    ("numeric-sensitive-without-bins", {"sensitive": ("age",)}, "Give bins"),
    ("sensitive-missing", {"sensitive": ("nope",)}, "is not in the data; columns are"),
    # model
    ("model-is-a-folder", {"model": "{ws}/afolder", "predictions": None}, "is a folder; give the path of a file"),
    ("pickle-model", {"model": "{ws}/model.pkl", "predictions": None}, "trust_pickle = true"),
    # policy
    ("policy-extends-itself", {"policy": "{ws}/self.toml"}, "remove the 'extends' that closes the loop"),
    ("policy-extends-cycle", {"policy": "{ws}/a.toml"}, "remove the 'extends' that closes the loop"),
    ("policy-is-a-folder", {"policy": "{ws}/afolder"}, "is a folder"),
    ("policy-unknown-name", {"policy": "strictest"}, "neither a bundled policy"),
]

CLI_FLAGS = {"data": "--data", "model": "--model", "predictions": "--predictions", "target": "--target",
             "out": "--out", "name": "--name", "junit": "--junit", "markdown": "--markdown", "policy": "--policy",
             "random_state": "--seed", "workers": "--workers"}


def fill(value, ws):
    if isinstance(value, str):
        return value.replace("{ws}", str(ws))
    return value


def fields_for(case_fields, ws, out):
    fields = {**BASE, "out": str(out), **case_fields}
    return {key: fill(value, ws) for key, value in fields.items() if value is not None}


def cli_args(fields):
    args = ["run"]
    for key, value in fields.items():
        if key in CLI_FLAGS:
            args += [CLI_FLAGS[key], str(value)]
        elif key in ("sensitive", "formats"):
            args += ["--sensitive" if key == "sensitive" else "--format", ",".join(value)]
        elif key == "bins":
            args += [f"--bins={name}={','.join(str(e) for e in edges)}" for name, edges in value.items()]
    return args


def files_under(folder):
    return sorted(p for p in folder.rglob("*")) if folder.exists() else []


@pytest.mark.parametrize(("case", "fields", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_cli_refuses_before_the_audit(inputs, tmp_path, capsys, case, fields, fragment):
    out = tmp_path / "out"
    before = files_under(inputs)
    code = main(cli_args(fields_for(fields, inputs, out)))
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("xai-audit: error: ") and "Traceback" not in err and "\n" not in err
    assert fragment in err
    assert files_under(out) == [] and files_under(inputs) == before  # nothing written anywhere


@pytest.mark.parametrize(("case", "fields", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_api_raises_an_audit_error(inputs, tmp_path, case, fields, fragment):
    out = tmp_path / "out"
    values = fields_for(fields, inputs, out)
    if "formats" in values:
        values["formats"] = tuple(values["formats"])
    with pytest.raises(XaiAuditError) as caught:
        spec = AuditSpec(**values).validate()
        spec.run(loaded=spec.load())
    assert fragment in str(caught.value)
    assert files_under(out) == []


def test_cli_seed_and_bins_are_checked_before_the_audit_starts(inputs, tmp_path, monkeypatch, capsys):
    """Refused before anything is loaded: the audit is never reached."""
    import xai_audit.spec as spec_module

    def never(*args, **kwargs):
        raise AssertionError("the audit started")

    monkeypatch.setattr(spec_module.AuditSpec, "load", never)
    for extra in (["--seed", "-1"], ["--sensitive", "age", "--bins", "age=nan"], ["--name", "../x"],
                  ["--junit", str(inputs / "afolder")], ["--out", str(inputs / "afile")]):
        args = ["run", "--data", str(inputs / "data.csv"), "--predictions", "p", "--target", "y",
                "--out", str(tmp_path / "o"), *extra]
        assert main(args) == 2, extra
    assert "the audit started" not in capsys.readouterr().err


def test_manifest_naming_an_installed_module_imports_nothing(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    torch.save(torch.nn.Linear(2, 2).state_dict(), tmp_path / "w.pt")
    (tmp_path / "m.toml").write_text('[model]\nfile = "w.pt"\narchitecture = "this:Net"\ntask = "binary"\n'
                                     'classes = [0, 1]\n')
    (tmp_path / "d.csv").write_text("a,b,y,sex\n1,2,0,F\n")
    sys.modules.pop("this", None)
    code = main(["run", "--model", str(tmp_path / "m.toml"), "--data", str(tmp_path / "d.csv"), "--target", "y",
                 "--sensitive", "sex", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "--trust-type this:Net" in err and "beside the manifest" in err
    assert "this" not in sys.modules  # 'import this' prints the Zen of Python at import time
    assert not (tmp_path / "o").exists()


def test_state_dict_without_manifest_names_a_fix_that_exists(tmp_path):
    torch = pytest.importorskip("torch")
    from xai_audit import load_model

    torch.save(torch.nn.Linear(2, 2).state_dict(), tmp_path / "w.pt")
    with pytest.raises(XaiAuditError) as caught:
        load_model(tmp_path / "w.pt")
    message = str(caught.value)
    assert "state dict" in message and ".toml manifest" in message and "--architecture" not in message
