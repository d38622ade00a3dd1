"""The image gallery shows misclassified images beside correctly classified ones."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")


def test_misclassified_images_are_chosen_beside_correct_ones():
    from xai_audit.adapters.torch import TorchAdapter
    from xai_audit.data import AuditDataset
    from xai_audit.explainers.images import choose_images

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 2))
    model = TorchAdapter(net, task="multiclass", classes=[0, 1], input_kind="image", device="cpu")
    images = np.random.default_rng(0).random((60, 1, 4, 4)).astype("float32")
    with torch.no_grad():
        predicted = net(torch.from_numpy(images)).numpy().argmax(axis=1)
    labels = predicted.copy()
    labels[[5, 17, 33]] = 1 - labels[[5, 17, 33]]  # three known mistakes
    data = AuditDataset.from_arrays(images, labels)
    chosen = choose_images(model, data, list(range(60)), limit=8)
    assert len(chosen) == 8 and {5, 17, 33} <= set(chosen)
    assert sum(labels[i] == predicted[i] for i in chosen) == 5
