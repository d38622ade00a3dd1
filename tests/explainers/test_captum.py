"""Captum explainers and deep_shap on tiny torch models built and trained here."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("captum")

from sklearn.compose import make_column_transformer  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

from xai_audit.adapters.torch import TorchAdapter  # noqa: E402
from xai_audit.data import AuditDataset  # noqa: E402
from xai_audit.exceptions import InvalidInputError, UnsupportedModelError  # noqa: E402
from xai_audit.explainers.base import Explanation  # noqa: E402
from xai_audit.explainers.captum import (  # noqa: E402
    DeepLiftExplainer,
    GradientShapExplainer,
    IntegratedGradientsExplainer,
    OcclusionExplainer,
    SaliencyExplainer,
    deep_shap,
)
from xai_audit.explainers.registry import REGISTRY  # noqa: E402

NUMERIC = ["x0", "x1", "x2", "x3"]
TABULAR_METHODS = ["integrated_gradients", "saliency", "deeplift", "gradient_shap"]


def train(net, inputs, labels, *, steps=40, lr=0.05, loss="cross_entropy"):
    """A few full-batch Adam steps: enough for the tiny models here to learn something."""
    torch.manual_seed(0)
    optimiser = torch.optim.Adam(net.parameters(), lr=lr)
    inputs = torch.as_tensor(np.array(inputs, dtype=np.float32))
    labels = torch.as_tensor(labels)
    for _ in range(steps):
        optimiser.zero_grad()
        out = net(inputs)
        if loss == "cross_entropy":
            value = torch.nn.functional.cross_entropy(out, labels.long())
        elif loss == "bce":
            value = torch.nn.functional.binary_cross_entropy_with_logits(out[:, 0], labels.float())
        else:
            value = torch.nn.functional.mse_loss(out[:, 0], labels.float())
        value.backward()
        optimiser.step()
    return net.eval()


def mlp(n_in, n_out, hidden=16, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(n_in, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, hidden),
                               torch.nn.ReLU(), torch.nn.Linear(hidden, n_out))


@pytest.fixture(scope="module")
def numeric_frame():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(120, 4)), columns=NUMERIC)
    frame["y"] = (frame["x0"] - 0.5 * frame["x1"] + 0.3 * frame["x2"] ** 2 > 0).astype(int)
    frame["z"] = 2 * frame["x0"] - frame["x2"] + rng.normal(0, 0.1, len(frame))
    frame["k"] = np.digitize(frame["x0"] + frame["x1"], [-0.7, 0.7])
    return frame


@pytest.fixture(scope="module")
def models(numeric_frame):
    """One adapter per task: binary (one logit), multiclass (three logits), regression."""
    X = numeric_frame[NUMERIC].to_numpy(np.float32)
    binary = train(mlp(4, 1), X, numeric_frame["y"], loss="bce")
    multiclass = train(mlp(4, 3), X, numeric_frame["k"])
    regression = train(mlp(4, 1), X, numeric_frame["z"], loss="mse")
    return {
        "binary": (TorchAdapter(binary, task="binary", classes=[0, 1], feature_names=NUMERIC, device="cpu"),
                   AuditDataset.from_frame(numeric_frame[NUMERIC + ["y"]], target="y")),
        "multiclass": (TorchAdapter(multiclass, task="multiclass", classes=[0, 1, 2], feature_names=NUMERIC,
                                    device="cpu"),
                       AuditDataset.from_frame(numeric_frame[NUMERIC + ["k"]], target="k")),
        "regression": (TorchAdapter(regression, task="regression", feature_names=NUMERIC, device="cpu"),
                       AuditDataset.from_frame(numeric_frame[NUMERIC + ["z"]], target="z")),
    }


@pytest.fixture(scope="module")
def credit_torch(credit_frame):
    """A torch MLP behind a OneHot + StandardScaler ColumnTransformer on the credit table."""
    features = ["income", "debt", "purpose", "age"]
    encoder = make_column_transformer(
        (OneHotEncoder(sparse_output=False, handle_unknown="ignore"), ["purpose"]),
        (StandardScaler(), ["income", "debt", "age"]),
    ).fit(credit_frame[features])
    encoded = encoder.transform(credit_frame[features]).astype(np.float32)
    net = train(mlp(encoded.shape[1], 2, hidden=8), encoded, (credit_frame["outcome"] == "repaid").to_numpy())
    adapter = TorchAdapter(net, task="binary", classes=["default", "repaid"], feature_names=features,
                           preprocessor=encoder, device="cpu")
    data = AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid", sensitive=["sex"])
    return adapter, data, features


def test_registered_names():
    for name in TABULAR_METHODS + ["occlusion"]:
        assert name in REGISTRY


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_integrated_gradients_completeness_within_one_percent(models, task):
    adapter, data = models[task]
    e = IntegratedGradientsExplainer().explain(adapter, data, NUMERIC, 20, random_state=0)
    assert e.values.shape == (20, 4)
    assert e.meta["completeness_reached"] is True
    change = np.abs(e.output - e.base_values)
    total = e.values.sum(axis=1) + e.base_values
    assert np.all(np.abs(total - e.output) <= 0.01 * np.maximum(change, 0.1 * change.mean()))
    np.testing.assert_allclose(e.output, adapter.output(data.frame.iloc[e.row_index][NUMERIC]), rtol=1e-5, atol=1e-6)
    baseline = pd.DataFrame(np.asarray(e.meta["baseline_input"], dtype=np.float32)[None], columns=NUMERIC)
    if task == "multiclass":
        expected_base = adapter.predict_proba(baseline)[0][e.meta["target_classes"]]
    else:
        expected_base = np.full(20, adapter.output(baseline)[0])
    np.testing.assert_allclose(e.base_values, expected_base, rtol=1e-5)


def test_integrated_gradients_raises_steps_until_complete():
    # A steep sigmoid: the trapezoid rule needs more than 8 steps for 1% completeness on most rows.
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[6.0, -4.0]]))
        net[0].bias.zero_()
    adapter = TorchAdapter(net, task="binary", classes=[0, 1], feature_names=["a", "b"], device="cpu")
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(30, 2)), columns=["a", "b"]).assign(y=[0, 1] * 15)
    data = AuditDataset.from_frame(frame, target="y")
    explainer = IntegratedGradientsExplainer(n_steps=8, max_steps=256, method="riemann_trapezoid")
    e = explainer.explain(adapter, data, ["a", "b"], None, random_state=0)
    assert e.meta["completeness_reached"] is True
    assert e.meta["step_schedule"] == [8, 16, 32, 64, 128, 256]
    assert e.meta["n_steps"] > 8
    assert sum(e.meta["rows_per_step_count"].values()) == 30
    assert e.meta["convergence_delta"]["max_relative"] <= 0.01


def test_integrated_gradients_reports_when_completeness_is_not_reached():
    # Nearly a step function, and at most 4 trapezoid steps: 1% cannot be reached; say so.
    net = torch.nn.Sequential(torch.nn.Linear(2, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[200.0, 0.0]]))
        net[0].bias.zero_()
    adapter = TorchAdapter(net, task="binary", classes=[0, 1], feature_names=["a", "b"], device="cpu")
    frame = pd.DataFrame({"a": np.linspace(-1, 1, 20), "b": 0.0, "y": [0, 1] * 10})
    e = IntegratedGradientsExplainer(n_steps=2, max_steps=4, method="riemann_trapezoid").explain(
        adapter, AuditDataset.from_frame(frame, target="y"), ["a", "b"], None, random_state=0)
    assert e.meta["completeness_reached"] is False
    assert e.meta["rows_not_converged"] > 0
    assert e.meta["convergence_delta"]["max_relative"] > 0.01
    assert e.meta["n_steps"] == 4


def test_grouped_values_one_column_per_original_feature(credit_torch):
    adapter, data, features = credit_torch
    groups = adapter.column_groups()
    assert [(g.feature, g.columns) for g in groups] == [
        ("income", (4,)), ("debt", (5,)), ("purpose", (0, 1, 2, 3)), ("age", (6,))]
    for name in TABULAR_METHODS:
        e = REGISTRY[name]().explain(adapter, data, features, 15, random_state=0)
        assert e.values.shape == (15, 4), name
        assert list(e.feature_names) == features
        assert e.meta["grouped_encoded_columns"] is True
        assert e.meta["encoded_columns"] == 7
        assert isinstance(e.data, pd.DataFrame) and list(e.data.columns) == features
    ig = IntegratedGradientsExplainer().explain(adapter, data, features, 15, random_state=0)
    assert ig.meta["grouping_rule"].startswith("sum")
    assert ig.additivity_error() <= 0.01 * np.abs(ig.output - ig.base_values).max()
    deeplift = DeepLiftExplainer().explain(adapter, data, features, 15, random_state=0)
    assert deeplift.additivity_error() < 1e-5
    saliency = SaliencyExplainer().explain(adapter, data, features, 15, random_state=0)
    assert saliency.meta["grouping_rule"].startswith("L2") and (saliency.values >= 0).all()


def test_gradient_shap_is_deterministic_under_random_state(models):
    adapter, data = models["binary"]
    first = GradientShapExplainer(n_samples=10).explain(adapter, data, NUMERIC, 12, random_state=3)
    second = GradientShapExplainer(n_samples=10).explain(adapter, data, NUMERIC, 12, random_state=3)
    other = GradientShapExplainer(n_samples=10).explain(adapter, data, NUMERIC, 12, random_state=4)
    np.testing.assert_array_equal(first.values, second.values)
    assert not np.array_equal(first.values, other.values)
    assert first.meta["n_samples"] == 10
    state = np.random.get_state()[1].copy()
    GradientShapExplainer(n_samples=5).explain(adapter, data, NUMERIC, 3, random_state=0)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # global numpy state untouched


@pytest.mark.parametrize("name", TABULAR_METHODS)
def test_json_round_trip(models, name):
    adapter, data = models["multiclass"]
    e = REGISTRY[name]().explain(adapter, data, NUMERIC, [0, 5, 7], random_state=0)
    record = json.loads(json.dumps(e.to_dict()))
    back = Explanation.from_dict(record)
    np.testing.assert_allclose(back.values, e.values)
    np.testing.assert_allclose(back.base_values, e.base_values)
    assert back.meta == e.meta and back.method == name
    assert list(back.row_index) == [0, 5, 7]
    assert e.meta["target_classes"] == [int(c) for c in e.meta["target_classes"]]


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_deeplift_is_exactly_additive(models, task):
    adapter, data = models[task]
    e = DeepLiftExplainer().explain(adapter, data, NUMERIC, 25, random_state=0)
    assert e.meta["completeness_reached"] is True
    assert e.additivity_error() < 1e-5 * max(1.0, np.abs(e.output).max())


def test_deeplift_reports_functional_activations():
    class Functional(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.first, self.second = torch.nn.Linear(3, 8), torch.nn.Linear(8, 1)

        def forward(self, x):
            return self.second(torch.nn.functional.relu(self.first(x)))

    torch.manual_seed(2)
    adapter = TorchAdapter(Functional().eval(), task="regression", feature_names=["a", "b", "c"], device="cpu")
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(30, 3)), columns=["a", "b", "c"])
    frame["y"] = frame.sum(axis=1)
    e = DeepLiftExplainer().explain(adapter, AuditDataset.from_frame(frame, target="y"), ["a", "b", "c"], None)
    assert e.meta["completeness_reached"] is False and "F.relu" in e.meta["completeness_note"]
    with pytest.raises(UnsupportedModelError, match="do not add up"):
        deep_shap(adapter, frame[["a", "b", "c"]].to_numpy(np.float32), frame[["a", "b", "c"]].to_numpy(np.float32))


def test_deep_shap_equals_shap_deep_explainer(models, numeric_frame):
    shap = pytest.importorskip("shap")
    adapter, _ = models["binary"]
    X = numeric_frame[NUMERIC].to_numpy(np.float32)
    inputs, background = X[:15], X[40:80]
    values, base_values = deep_shap(adapter, inputs, background)
    # The adapter explains P(y = 1) = sigmoid(logit): give shap the same output as a module.
    explained = torch.nn.Sequential(adapter.module, torch.nn.Sigmoid()).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = shap.DeepExplainer(explained, torch.from_numpy(background))
        expected = np.asarray(reference.shap_values(torch.from_numpy(inputs)))[..., 0]
    np.testing.assert_allclose(values, expected, atol=1e-5)
    np.testing.assert_allclose(base_values, float(np.asarray(reference.expected_value).reshape(-1)[0]), atol=1e-6)
    np.testing.assert_allclose(values.sum(axis=1) + base_values, adapter.output(inputs), atol=1e-5)


def test_deep_shap_equals_shap_on_regression(models, numeric_frame):
    shap = pytest.importorskip("shap")
    adapter, _ = models["regression"]
    X = numeric_frame[NUMERIC].to_numpy(np.float32)
    values, base_values = deep_shap(adapter, X[:10], X[20:50])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = shap.DeepExplainer(adapter.module, torch.from_numpy(X[20:50]))
        expected = np.asarray(reference.shap_values(torch.from_numpy(X[:10])))[..., 0]
    np.testing.assert_allclose(values, expected, atol=1e-5)


def test_deep_shap_multiclass_softmax_is_additive(models, numeric_frame):
    # shap's DeepExplainer treats nn.Softmax as an element-wise nonlinearity; here the adapter's
    # softmax gets exact multipliers, so the values add up to the predicted class's probability.
    adapter, _ = models["multiclass"]
    X = numeric_frame[NUMERIC].to_numpy(np.float32)
    values, base_values = deep_shap(adapter, X[:20], X[30:90])
    np.testing.assert_allclose(values.sum(axis=1) + base_values, adapter.output(X[:20]), atol=5e-5)
    predicted = adapter.predict_proba(pd.DataFrame(X[:20], columns=NUMERIC)).argmax(axis=1)
    np.testing.assert_allclose(base_values, adapter.predict_proba(
        pd.DataFrame(X[30:90], columns=NUMERIC)).mean(axis=0)[predicted], rtol=1e-5)


def test_deep_shap_takes_frames_through_the_preprocessor(credit_torch):
    adapter, data, features = credit_torch
    frame = data.frame[features]
    values, base_values = deep_shap(adapter, frame.iloc[:8], frame.iloc[100:140])
    assert values.shape == (8, 7)
    np.testing.assert_allclose(values.sum(axis=1) + base_values, adapter.output(frame.iloc[:8]), atol=1e-5)


def test_deep_shap_refuses_torchscript(models, numeric_frame):
    adapter, _ = models["binary"]
    scripted = TorchAdapter(torch.jit.script(adapter.module), task="binary", classes=[0, 1], device="cpu")
    X = numeric_frame[NUMERIC].to_numpy(np.float32)
    assert not DeepLiftExplainer.supports(scripted) and IntegratedGradientsExplainer.supports(scripted)
    with pytest.raises(UnsupportedModelError, match="TorchScript"):
        deep_shap(scripted, X[:3], X[3:6])
    e = IntegratedGradientsExplainer().explain(scripted, pd.DataFrame(X, columns=NUMERIC), NUMERIC, 5, random_state=0)
    assert e.meta["completeness_reached"] is True


def test_image_attributions_keep_their_shape():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
                              torch.nn.Linear(32, 3)).eval()
    adapter = TorchAdapter(net, task="multiclass", classes=[0, 1, 2], input_kind="image", device="cpu")
    images = np.random.default_rng(0).random((10, 1, 4, 4))
    data = AuditDataset.from_arrays(images, [0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    for name in TABULAR_METHODS + ["occlusion"]:
        e = REGISTRY[name]().explain(adapter, data, [], 4, random_state=0)
        assert e.values.shape == (4, 1, 4, 4), name
        assert e.feature_names == () and e.meta["grouped_encoded_columns"] is False
        assert "zeros" in e.meta["baseline"]
    ig = IntegratedGradientsExplainer().explain(adapter, data, [], 4, random_state=0)
    base = adapter.predict_proba(np.zeros((1, 1, 4, 4)))[0]
    np.testing.assert_allclose(ig.base_values, base[ig.meta["target_classes"]], rtol=1e-5)
    assert ig.meta["completeness_reached"] is True
    assert OcclusionExplainer.supports(adapter)


def test_supports_and_refusals(models):
    adapter, data = models["binary"]
    assert not OcclusionExplainer.supports(adapter)
    with pytest.raises(UnsupportedModelError, match="Occlusion explains PyTorch image models"):
        OcclusionExplainer().explain(adapter, data, NUMERIC, 3)

    class NoGradients:
        has_gradients = False
        name, framework = "tree", "sklearn"

    assert not IntegratedGradientsExplainer.supports(NoGradients())
    with pytest.raises(UnsupportedModelError, match="gradients"):
        IntegratedGradientsExplainer().explain(NoGradients(), data, NUMERIC, 3)
    with pytest.raises(InvalidInputError, match="row positions"):
        SaliencyExplainer().explain(adapter, data, NUMERIC, [500])
    with pytest.raises(InvalidInputError, match="n_steps"):
        IntegratedGradientsExplainer(n_steps=100, max_steps=50)
