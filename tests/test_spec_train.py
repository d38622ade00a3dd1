"""``--train`` / ``AuditSpec(train=...)`` / the batch key ``train``: the challengers and a linear model's
intervals use the training data; a training file without the audit's columns is refused with exit 2."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from xai_audit.cli import main
from xai_audit.spec import AuditSpec

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "sample_models" / "credit_logreg.skops"
AUDIT = ROOT / "sample_models" / "data" / "german_credit_test.csv"
TRAIN = ROOT / "sample_models" / "data" / "german_credit.csv"


def test_the_training_file_fits_the_challengers_and_gives_the_intervals(tmp_path):
    spec = AuditSpec(model=MODEL, data=AUDIT, target="credit_risk", positive_label="good", train=TRAIN,
                     explainers=(), n_resamples=30, out=tmp_path,
                     policy={"extends": "default", "challenger": {"models": ["logistic"]}}).validate()
    result = spec.run()
    n_train = len(pd.read_csv(TRAIN))
    assert result.challenger["training"]["source"] == "training data"
    assert result.challenger["training"]["n_rows"] == n_train
    assert result.glass_box["intervals"]["source"] == "training"
    assert f"the {n_train} rows of the training data" == result.glass_box["intervals"]["rows"]
    assert result.glass_box["n_rows"] == len(pd.read_csv(AUDIT))  # fidelity and counts stay on the audit rows
    assert "train" in spec.input_hashes() and spec.key() != spec.replace(train=None).key()


def test_a_training_file_without_the_audit_columns_is_exit_2_naming_them(tmp_path, capsys):
    bad = tmp_path / "train.csv"
    pd.read_csv(TRAIN).drop(columns=["duration_months", "credit_risk"]).to_csv(bad, index=False)
    code = main(["run", "--model", str(MODEL), "--data", str(AUDIT), "--target", "credit_risk",
                 "--positive-label", "good", "--train", str(bad), "--out", str(tmp_path), "--format", "json"])
    err = capsys.readouterr().err
    assert code == 2
    assert "lacks the columns ['duration_months', 'credit_risk']" in err and "Traceback" not in err
    assert not list(tmp_path.glob("*.json"))


def test_a_missing_training_file_is_refused_before_the_work(tmp_path, capsys):
    code = main(["run", "--model", str(MODEL), "--data", str(AUDIT), "--target", "credit_risk",
                 "--train", str(tmp_path / "nowhere.csv"), "--out", str(tmp_path)])
    assert code == 2 and "nowhere.csv' does not exist" in capsys.readouterr().err


def test_the_batch_key_names_the_training_file_relative_to_the_batch_file():
    spec = AuditSpec.from_toml_table({"data": "d.csv", "model": "m.skops", "train": "t.csv"}, "/batch")
    assert spec.train == Path("/batch/t.csv")
