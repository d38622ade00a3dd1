"""load_model: objects, safe files, refused pickles and clear errors."""

import pickle

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import FunctionTransformer

from tests.conftest import FEATURES
from xai_audit import InvalidInputError, UnsupportedModelError, UntrustedModelError, load_model


class RunsCodeWhenUnpickled:
    """Unpickling this writes a marker file: the proof that a pickle runs code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_is_refused_and_its_code_does_not_run(tmp_path):
    marker = tmp_path / "code-ran"
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(RunsCodeWhenUnpickled(str(marker))))
    for suffix in (".pkl", ".joblib", ".pickle"):
        target = path.with_suffix(suffix)
        target.write_bytes(path.read_bytes())
        with pytest.raises(UntrustedModelError, match=r"runs any code .* skops .* --trust-pickle \(in a batch file: trust_pickle = true"):
            load_model(target)
    assert not marker.exists()


def test_pickle_loads_with_explicit_opt_in(tmp_path, credit_gbm):
    import joblib

    joblib.dump(credit_gbm, tmp_path / "m.joblib")
    assert load_model(tmp_path / "m.joblib", trusted=True).task == "binary"


def test_skops_pipeline_loads_with_default_trust(tmp_path, credit_gbm, credit_frame):
    sio.dump(credit_gbm, tmp_path / "m.skops")
    model = load_model(tmp_path / "m.skops")
    assert model.framework == "sklearn" and model.classes == ("default", "repaid")
    assert len(model.sha256) == 64
    np.testing.assert_array_equal(model.predict(credit_frame), credit_gbm.predict(credit_frame[FEATURES]))


def test_skops_unknown_function_is_untrusted(tmp_path):
    import operator

    from sklearn.pipeline import make_pipeline

    pipe = make_pipeline(FunctionTransformer(func=operator.neg), LogisticRegression())
    pipe.fit(np.array([[0.0], [1.0]]), [0, 1])
    sio.dump(pipe, tmp_path / "f.skops")
    with pytest.raises(UntrustedModelError, match=r"not trusted by default: \['_operator.neg'\]"):
        load_model(tmp_path / "f.skops")
    assert load_model(tmp_path / "f.skops", trusted=["_operator.neg"]).task == "binary"


def test_corrupt_and_missing_files(tmp_path):
    (tmp_path / "bad.skops").write_bytes(b"not a zip")
    with pytest.raises(InvalidInputError, match="not a readable skops file"):
        load_model(tmp_path / "bad.skops")
    with pytest.raises(InvalidInputError, match="does not exist"):
        load_model(tmp_path / "none.skops")
    (tmp_path / "m.h5").write_bytes(b"")
    with pytest.raises(InvalidInputError, match="suffix '.h5'"):
        load_model(tmp_path / "m.h5")


def test_unfitted_and_non_models():
    with pytest.raises(UnsupportedModelError, match="is not fitted"):
        load_model(LogisticRegression())
    with pytest.raises(UnsupportedModelError, match="has no 'predict' method"):
        load_model(object())


def test_regression_and_xgboost_lightgbm(credit_frame):
    X = credit_frame[["income", "debt", "age"]]
    assert load_model(RandomForestRegressor(n_estimators=5).fit(X, X["income"] * 2)).task == "regression"
    xgboost = pytest.importorskip("xgboost")
    lightgbm = pytest.importorskip("lightgbm")
    y = credit_frame["outcome"] == "repaid"
    assert load_model(xgboost.XGBClassifier(n_estimators=5).fit(X, y)).framework == "xgboost"
    assert load_model(lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y)).framework == "lightgbm"


def test_column_groups_trace_one_hot_columns(credit_gbm):
    groups = {g.feature: g.columns for g in load_model(credit_gbm).column_groups()}
    assert set(groups) == set(FEATURES)
    assert len(groups["purpose"]) == 4 and len(groups["income"]) == 1
    assert sorted(i for cols in groups.values() for i in cols) == list(range(7))


def test_model_that_raises_or_returns_wrong_shape(credit_frame):
    from xai_audit import ModelError

    class Broken(LogisticRegression):
        def predict(self, X):
            raise RuntimeError("backend offline")

    class WrongShape(LogisticRegression):
        def predict(self, X):
            return np.zeros(3)

    X, y = credit_frame[["income"]], credit_frame["outcome"]
    with pytest.raises(ModelError, match="raised RuntimeError in predict: backend offline"):
        load_model(Broken().fit(X, y)).predict(X)
    with pytest.raises(ModelError, match=r"shape \(3,\) from predict for 400 rows"):
        load_model(WrongShape().fit(X, y)).predict(X)


torch = pytest.importorskip("torch")


def tiny_net():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))


def test_torch_state_dict_needs_architecture_and_loads_weights_only(tmp_path):
    net = tiny_net()
    torch.save(net.state_dict(), tmp_path / "w.pt")
    with pytest.raises(InvalidInputError, match="is a state dict .* architecture"):
        load_model(tmp_path / "w.pt", task="binary", classes=[0, 1])
    (tmp_path / "arch.py").write_text(
        "import torch\nclass Net(torch.nn.Sequential):\n    def __init__(self):\n"
        "        super().__init__(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))\n")
    (tmp_path / "m.toml").write_text(
        '[model]\nfile = "w.pt"\narchitecture = "arch.py:Net"\ntask = "binary"\nclasses = ["no", "yes"]\n'
        'feature_names = ["a", "b", "c"]\n')
    model = load_model(tmp_path / "m.toml")
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(5, 3)), columns=["a", "b", "c"])
    expected = torch.softmax(net(torch.tensor(X.to_numpy(), dtype=torch.float32)), 1).detach().numpy()
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=1e-6)
    assert model.positive_class == "yes" and set(model.predict(X)) <= {"no", "yes"}


def test_torch_file_holding_arbitrary_objects_is_refused(tmp_path):
    marker = tmp_path / "code-ran"
    torch.save({"w": RunsCodeWhenUnpickled(str(marker))}, tmp_path / "evil.pt")
    with pytest.raises(UntrustedModelError, match="weights_only=True"):
        load_model(tmp_path / "evil.pt", architecture="torch.nn:Identity", task="binary", classes=[0, 1])
    assert not marker.exists()


def test_manifest_architecture_must_be_a_module_class(tmp_path):
    marker = tmp_path / "code-ran"
    torch.save(tiny_net().state_dict(), tmp_path / "w.pt")
    (tmp_path / "m.toml").write_text(
        '[model]\nfile = "w.pt"\narchitecture = "subprocess:run"\ntask = "binary"\nclasses = [0, 1]\n'
        f'architecture_args = {{ args = ["touch", "{marker}"] }}\n')
    with pytest.raises(UntrustedModelError, match="imports no module a manifest names"):
        load_model(tmp_path / "m.toml")
    # even when the user allows the name, a function is not a model class
    with pytest.raises(UntrustedModelError, match="not a torch.nn.Module class"):
        load_model(tmp_path / "m.toml", trusted=["subprocess:run"])
    assert not marker.exists()


def test_manifest_architecture_module_is_not_imported_unless_beside_or_allowed(tmp_path, monkeypatch):
    import sys

    site = tmp_path / "site"
    site.mkdir()
    marker = tmp_path / "imported"
    (site / "sidecar_mod_xa.py").write_text(f"open({str(marker)!r}, 'w').close()\nimport torch\n"
                                            "class Net(torch.nn.Linear):\n    def __init__(self):\n"
                                            "        super().__init__(2, 2)\n")
    monkeypatch.syspath_prepend(str(site))
    torch.save(torch.nn.Linear(2, 2).state_dict(), tmp_path / "w.pt")
    (tmp_path / "m.toml").write_text(
        '[model]\nfile = "w.pt"\narchitecture = "sidecar_mod_xa:Net"\ntask = "binary"\nclasses = [0, 1]\n')
    with pytest.raises(UntrustedModelError, match="--trust-type sidecar_mod_xa:Net"):
        load_model(tmp_path / "m.toml")
    assert not marker.exists() and "sidecar_mod_xa" not in sys.modules
    assert load_model(tmp_path / "m.toml", trusted=["sidecar_mod_xa:Net"]).task == "binary"
    assert marker.exists()
    sys.modules.pop("sidecar_mod_xa", None)


def test_manifest_architecture_file_must_sit_beside_the_weights(tmp_path):
    marker = tmp_path / "code-ran"
    (tmp_path / "elsewhere.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    (tmp_path / "model").mkdir()
    torch.save(tiny_net().state_dict(), tmp_path / "model" / "w.pt")
    (tmp_path / "model" / "m.toml").write_text(
        '[model]\nfile = "w.pt"\narchitecture = "../elsewhere.py:Net"\ntask = "binary"\nclasses = [0, 1]\n')
    with pytest.raises(UntrustedModelError, match="outside the folder"):
        load_model(tmp_path / "model" / "m.toml")
    assert not marker.exists()


def test_manifest_input_shape_is_checked_against_the_images(tmp_path):
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))
    torch.save(net.state_dict(), tmp_path / "w.pt")
    (tmp_path / "arch.py").write_text(
        "import torch\nclass Net(torch.nn.Sequential):\n    def __init__(self):\n"
        "        super().__init__(torch.nn.Flatten(), torch.nn.Linear(4, 2))\n")
    (tmp_path / "m.toml").write_text(
        '[model]\nfile = "w.pt"\narchitecture = "arch.py:Net"\ntask = "binary"\nclasses = [0, 1]\n'
        'input_kind = "image"\ninput_shape = [1, 2, 2]\n')
    model = load_model(tmp_path / "m.toml")
    assert model.predict(np.zeros((3, 1, 2, 2), dtype=np.float32)).shape == (3,)
    with pytest.raises(InvalidInputError, match=r"takes images of shape \(1, 2, 2\).*holds \(4, 1, 1\)"):
        model.predict(np.zeros((3, 4, 1, 1), dtype=np.float32))


def test_torchscript_and_export(tmp_path):
    net = tiny_net()
    torch.jit.save(torch.jit.script(net), tmp_path / "s.pt")
    scripted = load_model(tmp_path / "s.pt", task="binary", classes=[0, 1], feature_names=["a", "b", "c"])
    X = pd.DataFrame(np.ones((2, 3)), columns=["a", "b", "c"])
    torch.export.save(torch.export.export(net, (torch.ones(2, 3),)), tmp_path / "e.pt2")
    exported = load_model(tmp_path / "e.pt2", task="binary", classes=[0, 1], feature_names=["a", "b", "c"])
    np.testing.assert_allclose(scripted.predict_proba(X), exported.predict_proba(X), rtol=1e-6)
    with pytest.raises(InvalidInputError, match="does not say what task"):
        load_model(tmp_path / "s.pt")


# -- loading skops without scikit-learn's walk over its modules ----------------------------------------

SKOPS_PROBE = """
import json, operator, sys, tempfile
import sklearn.utils
walks = []
walk = sklearn.utils.all_estimators = lambda *args, **kwargs: walks.append(1) or []
import xai_audit
model = xai_audit.load_model("sample_models/credit_gbm.skops")
from skops.io._trusted_types import SKLEARN_ESTIMATOR_TYPE_NAMES
import numpy as np, skops.io
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
pipe = make_pipeline(FunctionTransformer(func=operator.neg), LogisticRegression()).fit(np.array([[0.0], [1.0]]), [0, 1])
path = tempfile.mkdtemp() + "/f.skops"
skops.io.dump(pipe, path)
try:
    xai_audit.load_model(path)
    refused = ""
except xai_audit.UntrustedModelError as error:
    refused = str(error)
print(json.dumps({"walks": len(walks), "restored": sklearn.utils.all_estimators is walk, "torch": "torch" in sys.modules,
                  "model": type(model.estimator).__name__, "refused": refused,
                  "skops_default_sklearn_estimators": SKLEARN_ESTIMATOR_TYPE_NAMES}))
"""


def test_skops_model_loads_without_the_estimator_walk_or_torch_and_unknown_types_are_refused():
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", SKOPS_PROBE], capture_output=True, text=True, cwd=root,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, timeout=300)
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["walks"] == 0 and probe["restored"] is True and probe["torch"] is False
    assert probe["model"] == "Pipeline"
    assert "not trusted by default: ['_operator.neg']" in probe["refused"]
    # skops' own default trust is narrower (no estimator), never wider: xai-audit vets each type itself
    assert probe["skops_default_sklearn_estimators"] == []


def test_small_batches_predict_on_one_openmp_thread_and_large_ones_on_all():
    from threadpoolctl import threadpool_info

    from xai_audit.adapters.threads import THREADED_ROWS, prediction_threads

    def openmp_threads():
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp"}

    outside = openmp_threads()
    assert outside, "scikit-learn loads an OpenMP runtime"
    with prediction_threads(THREADED_ROWS - 1):
        assert openmp_threads() <= {1}
    assert openmp_threads() == outside
    with prediction_threads(THREADED_ROWS):
        assert openmp_threads() == outside


def test_predictions_are_the_same_on_one_thread(credit_gbm, credit_frame):
    from xai_audit.adapters.threads import THREADED_ROWS

    model = load_model(credit_gbm)
    many = credit_frame.sample(THREADED_ROWS, replace=True, random_state=0)
    np.testing.assert_array_equal(model.predict_proba(many)[:50], model.predict_proba(many.iloc[:50]))
