"""The bundled sample models and data in ``sample_models/``: they load safely, perform reasonably, and
``sample_models/build.py`` rebuilds them byte for byte."""

import hashlib
import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

SAMPLES = Path(__file__).resolve().parents[1] / "sample_models"
DATA = SAMPLES / "data"
BUILD_INFO = json.loads((SAMPLES / "build_info.json").read_text())
# A .skops file holds scikit-learn's internals, which change between releases: exact checks of the
# artifacts need the release they were built with (rebuild them with sample_models/build.py otherwise).
BUILT_WITH = BUILD_INFO["environment"]["scikit-learn"]
needs_build_sklearn = pytest.mark.skipif(
    __import__("sklearn").__version__ != BUILT_WITH,
    reason=f"the sample models were built with scikit-learn {BUILT_WITH}; rebuild them for this release")

CREDIT_FEATURES = [
    "checking_status", "duration_months", "credit_history", "purpose", "credit_amount", "savings",
    "employment_since", "installment_rate_pct_income", "personal_status_sex", "other_debtors",
    "residence_since", "property", "age_years", "other_installment_plans", "housing",
    "existing_credits", "job", "people_liable", "telephone", "foreign_worker",
]
DIABETES_FEATURES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
# What skops.io.get_untrusted_types reports for each file (xai_audit.load_model must accept these).
EXPECTED_UNTRUSTED = {
    "credit_gbm.skops": ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"],
    "credit_logreg.skops": [],
    "credit_mlp_preprocessor.skops": [],
    "diabetes_ridge.skops": [],
}


def load_skops(name):
    path = SAMPLES / name
    return sio.load(path, trusted=sio.get_untrusted_types(file=path))


def import_from_samples(module_name, file_name):
    """Import a file of sample_models/ under a name of our choosing (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location(module_name, SAMPLES / file_name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def credit_test():
    return pd.read_csv(DATA / "german_credit_test.csv")


# ---------------------------------------------------------------------------------------- data


def test_german_credit_data_has_sensitive_attributes_and_target():
    full = pd.read_csv(DATA / "german_credit.csv")
    test = pd.read_csv(DATA / "german_credit_test.csv")
    assert list(full.columns) == CREDIT_FEATURES + ["credit_risk", "sex", "age_group"]
    assert list(test.columns) == list(full.columns)
    assert len(full) == 1000 and len(test) == 300
    assert set(full["credit_risk"]) == {"good", "bad"}
    assert set(full["sex"]) == {"female", "male"}
    expected_group = np.where(full["age_years"] < 25, "under 25", "25 and over")
    assert (full["age_group"] == expected_group).all()
    # stratified split: the test split keeps the 70/30 label balance
    assert test["credit_risk"].value_counts().to_dict() == {"good": 210, "bad": 90}
    assert (DATA / "ATTRIBUTION.md").read_text().count("CC BY 4.0") >= 1


def test_diabetes_data_has_target_and_sex_group():
    full = pd.read_csv(DATA / "diabetes.csv")
    test = pd.read_csv(DATA / "diabetes_test.csv")
    assert list(full.columns) == DIABETES_FEATURES + ["disease_progression", "sex_group"]
    assert len(full) == 442 and len(test) == 133
    assert (full["sex_group"] == "sex " + full["sex"].astype(str)).all()
    assert set(full["sex_group"]) == {"sex 1", "sex 2"}


def test_digits_test_images():
    with np.load(DATA / "digits_test.npz") as arrays:
        images, labels = arrays["images"], arrays["labels"]
    assert images.shape == (540, 1, 8, 8) and images.dtype == np.float32
    assert labels.shape == (540,) and np.issubdtype(labels.dtype, np.integer)
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert set(labels.tolist()) == set(range(10))


def test_artifacts_match_build_info_and_stay_small():
    for name, digest in BUILD_INFO["sha256"].items():
        actual = hashlib.sha256((SAMPLES / name).read_bytes()).hexdigest()
        assert actual == digest, f"{name} differs from the build recorded in build_info.json; rerun build.py"
    total = sum((SAMPLES / name).stat().st_size for name in BUILD_INFO["sha256"])
    assert total < 3_000_000


# ---------------------------------------------------------------------------------------- skops


@needs_build_sklearn
@pytest.mark.parametrize("name", sorted(EXPECTED_UNTRUSTED))
def test_skops_files_report_only_the_expected_untrusted_types(name):
    untrusted = sio.get_untrusted_types(file=SAMPLES / name)
    assert untrusted == EXPECTED_UNTRUSTED[name] == BUILD_INFO["skops_untrusted_types"][name]
    assert all(type_name.startswith("sklearn.") for type_name in untrusted)
    load_skops(name)


def test_skops_archives_have_fixed_timestamps_and_sequential_names():
    with zipfile.ZipFile(SAMPLES / "credit_gbm.skops") as archive:
        infos = archive.infolist()
    assert infos[0].filename == "schema.json"
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert all(info.filename.split(".")[0].isdigit() for info in infos[1:])


@needs_build_sklearn
@pytest.mark.parametrize("name", ["credit_gbm.skops", "credit_logreg.skops"])
def test_credit_pipelines_perform_reasonably(name, credit_test):
    model = load_skops(name)
    assert list(model.feature_names_in_) == CREDIT_FEATURES
    assert list(model.classes_) == ["bad", "good"]
    proba_good = model.predict_proba(credit_test[CREDIT_FEATURES])[:, 1]
    assert roc_auc_score(credit_test["credit_risk"] == "good", proba_good) > 0.75
    assert accuracy_score(credit_test["credit_risk"], model.predict(credit_test[CREDIT_FEATURES])) > 0.72


def test_credit_gbm_is_the_described_pipeline():
    model = load_skops("credit_gbm.skops")
    encoder, classifier = model[0], model[-1]
    assert type(classifier).__name__ == "HistGradientBoostingClassifier" and classifier.random_state == 0
    one_hot = encoder.named_transformers_["cat"]
    assert one_hot.handle_unknown == "ignore" and one_hot.sparse_output is False


def test_diabetes_ridge_performs_reasonably():
    model = load_skops("diabetes_ridge.skops")
    test = pd.read_csv(DATA / "diabetes_test.csv")
    assert list(model.feature_names_in_) == DIABETES_FEATURES
    assert r2_score(test["disease_progression"], model.predict(test[DIABETES_FEATURES])) > 0.3


def test_dump_skops_is_byte_stable_and_loads(tmp_path):
    from sklearn.linear_model import LogisticRegression

    build = import_from_samples("sample_models_build", "build.py")
    X, y = np.arange(20.0).reshape(10, 2), np.array([0, 1] * 5)
    # two separately fitted objects, so the ids skops writes differ between the two dumps
    build.dump_skops(LogisticRegression().fit(X, y), tmp_path / "a.skops")
    build.dump_skops(LogisticRegression().fit(X, y), tmp_path / "b.skops")
    assert (tmp_path / "a.skops").read_bytes() == (tmp_path / "b.skops").read_bytes()
    loaded = sio.load(tmp_path / "a.skops", trusted=sio.get_untrusted_types(file=tmp_path / "a.skops"))
    np.testing.assert_array_equal(loaded.predict_proba(X), LogisticRegression().fit(X, y).predict_proba(X))


# ---------------------------------------------------------------------------------------- torch


def test_torchscript_mlp_reproduces_the_eager_model(credit_test):
    torch = pytest.importorskip("torch")
    scripted = torch.jit.load(str(SAMPLES / "credit_mlp.pt"), map_location="cpu")
    preprocessor = load_skops("credit_mlp_preprocessor.skops")
    architectures = import_from_samples("sample_models_architectures", "architectures.py")
    X = torch.tensor(preprocessor.transform(credit_test[CREDIT_FEATURES]), dtype=torch.float32)
    eager = architectures.CreditMLP(n_inputs=X.shape[1], n_outputs=2)
    eager.load_state_dict(scripted.state_dict())
    eager.eval()
    with torch.no_grad():
        expected, actual = eager(X), scripted(X)
    torch.testing.assert_close(actual, expected, rtol=1e-6, atol=1e-6)
    proba_good = torch.softmax(actual.double(), dim=1)[:, 1].numpy()
    assert roc_auc_score(credit_test["credit_risk"] == "good", proba_good) > 0.75


def test_torchscript_archive_holds_no_local_paths():
    with zipfile.ZipFile(SAMPLES / "credit_mlp.pt") as archive:
        names = archive.namelist()
        payload = b"".join(archive.read(name) for name in names)
    assert not any(name.endswith(".debug_pkl") for name in names)
    assert str(SAMPLES).encode() not in payload and b"site-packages" not in payload


def test_digits_state_dict_loads_weights_only_and_is_accurate():
    torch = pytest.importorskip("torch")
    architectures = import_from_samples("sample_models_architectures", "architectures.py")
    state = torch.load(SAMPLES / "digits_cnn.pt", map_location="cpu", weights_only=True)
    net = architectures.DigitsCNN()
    net.load_state_dict(state)
    net.eval()
    with np.load(DATA / "digits_test.npz") as arrays:
        images, labels = arrays["images"], arrays["labels"]
    with torch.no_grad():
        predicted = net(torch.from_numpy(images)).argmax(dim=1).numpy()
    assert (predicted == labels).mean() > 0.9


def test_manifests_follow_the_documented_format():
    with open(SAMPLES / "credit_mlp.toml", "rb") as handle:
        mlp = tomllib.load(handle)["model"]
    assert mlp["file"] == "credit_mlp.pt" and mlp["preprocessor"] == "credit_mlp_preprocessor.skops"
    assert mlp["task"] == "binary" and mlp["classes"] == ["bad", "good"] and mlp["positive_class"] == "good"
    assert mlp["feature_names"] == CREDIT_FEATURES and mlp["input_kind"] == "tabular"
    assert mlp["output"] == "logits" and "architecture" not in mlp
    with open(SAMPLES / "digits_cnn.toml", "rb") as handle:
        cnn = tomllib.load(handle)["model"]
    assert cnn["architecture"] == "architectures.py:DigitsCNN" and cnn["architecture_args"] == {}
    assert cnn["task"] == "multiclass" and cnn["classes"] == list(range(10))
    assert cnn["input_kind"] == "image" and cnn["input_shape"] == [1, 8, 8] and cnn["output"] == "logits"
    for manifest in (mlp, cnn):
        assert (SAMPLES / manifest["file"]).is_file()


def test_xai_audit_loads_every_sample_model(credit_test):
    pytest.importorskip("torch")
    import xai_audit as xa

    for name in ("credit_gbm.skops", "credit_logreg.skops", "credit_mlp.toml"):
        model = xa.load_model(SAMPLES / name)
        assert model.task == "binary" and model.positive_class == "good"
        assert model.predict_proba(credit_test).shape == (300, 2)
    cnn = xa.load_model(SAMPLES / "digits_cnn.toml")
    with np.load(DATA / "digits_test.npz") as arrays:
        assert (np.asarray(cnn.predict(arrays["images"])) == arrays["labels"]).mean() > 0.9
    ridge = xa.load_model(SAMPLES / "diabetes_ridge.skops")
    assert ridge.task == "regression"


# ---------------------------------------------------------------------------------------- rebuild


def _build(out: Path) -> dict:
    subprocess.run([sys.executable, str(SAMPLES / "build.py"), "--out", str(out)],
                   check=True, capture_output=True, text=True)
    return json.loads((out / "build_info.json").read_text())


def _frame_for(name: str) -> pd.DataFrame:
    if name.startswith("credit"):
        return pd.read_csv(DATA / "german_credit_test.csv")
    return pd.read_csv(DATA / "diabetes_test.csv")


@pytest.mark.slow
def test_two_rebuilds_are_byte_identical(tmp_path):
    pytest.importorskip("torch")
    _build(tmp_path / "first"), _build(tmp_path / "second")
    names = sorted(str(p.relative_to(tmp_path / "first")) for p in (tmp_path / "first").rglob("*") if p.is_file())
    differing = [n for n in names if (tmp_path / "first" / n).read_bytes() != (tmp_path / "second" / n).read_bytes()]
    assert names and not differing, f"two rebuilds differ in {differing}"


@pytest.mark.slow
def test_rebuild_matches_the_committed_artifacts(tmp_path):
    """A rebuild gives the same models: byte for byte where the arithmetic is exact on every CPU, and
    otherwise by behaviour. BLAS kernels round the last bits of a linear solve differently on other CPUs
    (scikit-learn models must then predict the same to 1e-9), and torch training accumulates those
    differences over its epochs (the networks must then give the same decisions and probabilities to
    a stated tolerance). Data files and manifests are always identical."""
    pytest.importorskip("torch")
    rebuilt_info = _build(tmp_path)
    if rebuilt_info["environment"] != BUILD_INFO["environment"]:
        pytest.skip(f"the samples were built with {BUILD_INFO['environment']}, this environment has "
                    f"{rebuilt_info['environment']}; other versions may write other bytes")
    differing = [name for name in list(BUILD_INFO["sha256"]) + ["README.md"]
                 if (tmp_path / name).read_bytes() != (SAMPLES / name).read_bytes()]
    for name in differing:
        if name.endswith(".skops"):
            _assert_same_sklearn_predictions(name, tmp_path)
        elif name.endswith(".pt"):
            _assert_same_torch_predictions(name, tmp_path)
        elif name == "README.md":
            _assert_same_text_and_numbers(SAMPLES / name, tmp_path / name, atol=2e-3)
        else:
            pytest.fail(f"a rebuild changed {name}, which must be byte-identical")


def _assert_same_sklearn_predictions(name: str, rebuilt_folder: Path) -> None:
    import xai_audit as xa

    committed, rebuilt = xa.load_model(SAMPLES / name), xa.load_model(rebuilt_folder / name)
    frame = _frame_for(name)[list(committed.feature_names)]
    method = "predict_proba" if committed.task != "regression" else "predict"
    np.testing.assert_allclose(getattr(rebuilt, method)(frame), getattr(committed, method)(frame), rtol=0, atol=1e-9,
                               err_msg=f"the rebuilt {name} predicts differently")


def _assert_same_torch_predictions(name: str, rebuilt_folder: Path) -> None:
    """Load both networks through their manifests and compare their class probabilities on the test data:
    at most 1% of decisions may differ, and no probability by more than 0.05."""
    import shutil

    import xai_audit as xa

    manifest = name.replace(".pt", ".toml")
    shutil.copy(SAMPLES / "architectures.py", rebuilt_folder / "architectures.py")
    committed, rebuilt = xa.load_model(SAMPLES / manifest), xa.load_model(rebuilt_folder / manifest)
    if name.startswith("digits"):
        with np.load(DATA / "digits_test.npz") as arrays:
            inputs = arrays["images"]
    else:
        inputs = _frame_for(name)[list(committed.feature_names)]
    before, after = committed.predict_proba(inputs), rebuilt.predict_proba(inputs)
    changed_decisions = float(np.mean(before.argmax(axis=1) != after.argmax(axis=1)))
    assert changed_decisions <= 0.01, f"the rebuilt {name} changes {changed_decisions:.1%} of the decisions"
    np.testing.assert_allclose(after, before, rtol=0, atol=0.05, err_msg=f"the rebuilt {name} predicts differently")


def _assert_same_text_and_numbers(committed: Path, rebuilt: Path, *, atol: float) -> None:
    """The same text apart from its numbers, and each number within ``atol`` (metrics of retrained networks)."""
    import re

    number = re.compile(r"-?\d+\.\d+")
    old, new = committed.read_text(encoding="utf-8"), rebuilt.read_text(encoding="utf-8")
    assert number.sub("#", old) == number.sub("#", new), "a rebuild changed the README's text"
    np.testing.assert_allclose([float(v) for v in number.findall(new)], [float(v) for v in number.findall(old)],
                               rtol=0, atol=atol, err_msg="a rebuild changed the README's metrics")
