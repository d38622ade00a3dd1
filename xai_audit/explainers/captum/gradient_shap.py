"""GradientShap (expected gradients), seeded by ``random_state``."""

from __future__ import annotations

import numpy as np

from xai_audit.explainers.captum._common import (
    DEFAULT_BACKGROUND_SIZE,
    CaptumExplainer,
    float_tensor,
    require_captum,
    rows_per_batch,
    seeded,
    summed_output,
    target_args,
)
from xai_audit.exceptions import InvalidInputError


class GradientShapExplainer(CaptumExplainer):
    """GradientShap (expected gradients): gradients at random points between each row and references
    drawn from the background, with optional Gaussian noise; seeded by ``random_state``.

    Additive in expectation: ``values.sum + base_values`` approaches the output as ``n_samples``
    grows; the error is recorded in ``meta["additivity_error"]``. ``base_values`` is the mean output
    over the references.

    Parameters
    ----------
    n_samples : int
        Random points per row.
    stdevs : float
        Standard deviation of the Gaussian noise added to each row (0: none).
    baseline : {"auto", "background", "zeros"}
        ``"auto"``: the background sample (tabular), a black image (images).

    Examples
    --------
    >>> import torch, pandas as pd
    >>> from xai_audit.adapters.torch import TorchAdapter
    >>> from xai_audit.data import AuditDataset
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 1))
    >>> model = TorchAdapter(net, task="regression", feature_names=["a", "b"], device="cpu")
    >>> df = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [1.0, 0.0, 1.0], "y": [0.5, 1.5, 2.5]})
    >>> e = GradientShapExplainer().explain(model, AuditDataset.from_frame(df, target="y"), ["a", "b"], None,
    ...                                     random_state=0)
    >>> e.values.shape, e.meta["n_samples"]
    ((3, 2), 50)
    """

    name = "gradient_shap"
    additive = True
    captum_class = "GradientShap"

    def __init__(self, *, n_samples=50, stdevs=0.0, baseline="auto", background_size=DEFAULT_BACKGROUND_SIZE,
                 batch_size=None):
        if baseline not in ("auto", "background", "zeros"):
            raise InvalidInputError(f"baseline must be 'auto', 'background' or 'zeros'; got {baseline!r}.")
        super().__init__(baseline="zeros" if baseline == "zeros" else "auto", background_size=background_size,
                         batch_size=batch_size)
        self.references = baseline
        self.n_samples = int(n_samples)
        self.stdevs = float(stdevs)

    def _reference_set(self, adapter, task):
        use_background = self.references == "background" or (
            self.references == "auto" and adapter.input_kind != "image")
        if use_background:
            return task.background, f"{len(task.background)} background rows (seeded sample) in model-input space"
        return task.baseline, task.baseline_note

    def attribute(self, adapter, task, *, random_state=None):
        captum = require_captum()
        references, note = self._reference_set(adapter, task)
        method = captum.GradientShap(summed_output(adapter))
        per_batch = rows_per_batch(task.inputs, self.n_samples, self.batch_size)
        reference_tensor = float_tensor(references, adapter.device)
        chunks = []
        with seeded(random_state, adapter.device) as seed:
            for start in range(0, len(task.inputs), per_batch):
                batch = float_tensor(task.inputs[start:start + per_batch], adapter.device)
                attributions = method.attribute(
                    batch, baselines=reference_tensor, n_samples=self.n_samples, stdevs=self.stdevs,
                    additional_forward_args=target_args(task.targets, start, start + per_batch, adapter.device))
                chunks.append(attributions.detach().cpu().numpy().astype(float))
        base_values = self._base_values(adapter, task, references)
        return np.concatenate(chunks), base_values, {
            "baseline": note, "n_samples": self.n_samples, "stdevs": self.stdevs,
            "n_references": int(len(references)), "seed": seed,
        }
