"""image_section: attribution maps for image models and the model-randomisation sanity check."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("captum")

from sklearn.datasets import load_digits  # noqa: E402

from xai_audit.adapters.torch import TorchAdapter  # noqa: E402
from xai_audit.data import AuditDataset  # noqa: E402
from xai_audit.exceptions import InvalidInputError, UnsupportedModelError  # noqa: E402
from xai_audit.explainers.images import image_section, rank_correlation, ssim  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    """scikit-learn's 8×8 digits (bundled, offline), scaled to [0, 1], as N×1×8×8."""
    bunch = load_digits()
    return (bunch.images / 16.0).astype(np.float32)[:, None], bunch.target


@pytest.fixture(scope="module")
def digits_cnn(digits):
    """A tiny CNN trained for a few full-batch steps on 500 digits (about 90% held-out accuracy)."""
    images, labels = digits
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(6 * 4 * 4, 10))
    optimiser = torch.optim.Adam(net.parameters(), lr=0.03)
    inputs, targets = torch.from_numpy(images[:500]), torch.from_numpy(labels[:500])
    for _ in range(40):
        optimiser.zero_grad()
        torch.nn.functional.cross_entropy(net(inputs), targets).backward()
        optimiser.step()
    net.eval()
    adapter = TorchAdapter(net, task="multiclass", classes=list(range(10)), input_kind="image", device="cpu")
    data = AuditDataset.from_arrays(images[1000:1100], labels[1000:1100])
    return adapter, data


def test_section_shape_and_json(digits_cnn):
    adapter, data = digits_cnn
    accuracy = (adapter.predict(data.images) == data.y_true()).mean()
    assert accuracy > 0.8
    section = image_section(adapter, data, 4, random_state=0)
    assert set(section) == {"methods", "sanity_check", "samples"}
    assert set(section["methods"]) == {"integrated_gradients", "saliency", "occlusion"}
    text = json.dumps(section, allow_nan=False)  # plain types, no NaN
    assert json.loads(text) == section
    for sample in section["samples"]:
        assert np.asarray(sample["image"]).shape == (1, 8, 8)
        assert isinstance(sample["predicted_label"], int) and isinstance(sample["true_label"], int)
        assert 0.0 < sample["probability"] <= 1.0
    rows = [s["row"] for s in section["samples"]]
    assert rows == sorted(set(rows)) and len(rows) == 4
    for method, entry in section["methods"].items():
        assert np.asarray(entry["maps"]).shape == (4, 8, 8), method
    assert section["methods"]["integrated_gradients"]["meta"]["completeness_reached"] is True
    assert section["methods"]["occlusion"]["meta"]["sliding_window"] == [1, 2, 2]
    # the section is seeded
    again = image_section(adapter, data, 4, random_state=0, methods=("saliency",))
    assert again["samples"] == section["samples"]
    assert again["sanity_check"]["saliency"] == section["sanity_check"]["saliency"]


def test_sanity_check_passes_for_a_trained_cnn(digits_cnn):
    adapter, data = digits_cnn
    before = [p.detach().clone() for p in adapter.module.parameters()]
    section = image_section(adapter, data, 6, random_state=0)
    check = section["sanity_check"]
    # Gradients of the trained and the randomised CNN share no structure: Saliency passes.
    assert check["saliency"]["passed"] is True
    assert check["saliency"]["mean_rank_correlation"] < 0.5
    for method, result in check.items():
        assert -1.0 <= result["mean_rank_correlation"] <= 1.0
        assert result["passed"] == (result["mean_rank_correlation"] <= result["threshold"])
        assert result["randomisation"].startswith("cascading")
        # one stage per parameterised layer (the Linear, then the Conv), output layer first
        assert [stage["layers_randomised"] for stage in result["cascade"]] == [["4"], ["4", "0"]]
    # the audited model is left as it was
    for old, new in zip(before, adapter.module.parameters()):
        assert torch.equal(old, new)


class InputTimesConstant(torch.nn.Module):
    """Logits = scale × sum of the pixels: every pixel counts the same, whatever the weights."""

    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor([1.0, -1.0, 0.5]))

    def forward(self, x):
        return x.flatten(1).sum(dim=1, keepdim=True) * self.scale


def test_sanity_check_flags_maps_that_do_not_depend_on_the_weights():
    adapter = TorchAdapter(InputTimesConstant(), task="multiclass", classes=[0, 1, 2], input_kind="image",
                           device="cpu")
    images = np.random.default_rng(0).random((10, 1, 6, 6)).astype(np.float32)
    data = AuditDataset.from_arrays(images, [0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    section = image_section(adapter, data, 5, random_state=0, methods=("integrated_gradients", "saliency"))
    for method in ("integrated_gradients", "saliency"):
        result = section["sanity_check"][method]
        assert result["passed"] is False, method
        assert result["mean_rank_correlation"] > 0.99
        assert result["verdict"].startswith("not trustworthy")


def test_all_at_once_randomisation_and_threshold(digits_cnn):
    adapter, data = digits_cnn
    section = image_section(adapter, data, 3, random_state=1, methods=("saliency",), cascading=False,
                            threshold=0.9)
    result = section["sanity_check"]["saliency"]
    assert result["randomisation"].startswith("all at once")
    assert len(result["cascade"]) == 1 and result["threshold"] == 0.9


def test_similarity_measures():
    a = np.arange(16.0).reshape(4, 4)
    assert rank_correlation(a, a) == pytest.approx(1.0)
    assert rank_correlation(a, -a) == pytest.approx(1.0)  # absolute values
    assert rank_correlation(a, a[::-1, ::-1]) < 0
    assert rank_correlation(np.ones((2, 2)), np.full((2, 2), 3.0)) == 1.0
    assert ssim(a, 3 * a) == pytest.approx(1.0)
    assert ssim(a, np.ones((4, 4))) < 0.5


def test_refusals(digits_cnn):
    adapter, data = digits_cnn
    with pytest.raises(InvalidInputError, match="Unknown explainers"):
        image_section(adapter, data, 2, methods=("nope",))
    with pytest.raises(InvalidInputError, match="threshold"):
        image_section(adapter, data, 2, threshold=1.5)
    tabular = TorchAdapter(torch.nn.Linear(3, 2), task="binary", classes=[0, 1], device="cpu")
    with pytest.raises(UnsupportedModelError, match="image models"):
        image_section(tabular, data, 2)
