"""Saliency: absolute input gradients of the explained output."""

from __future__ import annotations

import numpy as np

from xai_audit.explainers.captum._common import (
    CaptumExplainer,
    float_tensor,
    require_captum,
    rows_per_batch,
    summed_output,
    target_args,
)


class SaliencyExplainer(CaptumExplainer):
    """Absolute input gradients of the explained output (Simonyan et al., 2013); not additive.

    For tabular models behind a preprocessor, a feature's value is the L2 norm of the gradient over
    its encoded columns.

    Examples
    --------
    >>> import torch, pandas as pd
    >>> from xai_audit.adapters.torch import TorchAdapter
    >>> from xai_audit.data import AuditDataset
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 1))
    >>> model = TorchAdapter(net, task="regression", feature_names=["a", "b"], device="cpu")
    >>> df = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [1.0, 0.0, 1.0], "y": [0.5, 1.5, 2.5]})
    >>> e = SaliencyExplainer().explain(model, AuditDataset.from_frame(df, target="y"), ["a", "b"], None)
    >>> bool(np.allclose(e.values, np.abs(net[0].weight.detach().numpy())))
    True
    """

    name = "saliency"
    additive = False
    grouping = "l2"
    captum_class = "Saliency"

    def attribute(self, adapter, task, *, random_state=None):
        captum = require_captum()
        method = captum.Saliency(summed_output(adapter))
        per_batch = rows_per_batch(task.inputs, 4, self.batch_size)
        chunks = []
        for start in range(0, len(task.inputs), per_batch):
            batch = float_tensor(task.inputs[start:start + per_batch], adapter.device).requires_grad_()
            gradients = method.attribute(
                batch, abs=True,
                additional_forward_args=target_args(task.targets, start, start + per_batch, adapter.device))
            chunks.append(gradients.detach().cpu().numpy().astype(float))
        base_values = self._base_values(adapter, task, task.baseline)
        return np.concatenate(chunks), base_values, {"absolute": True}


# -- DeepLift and DeepLiftShap -----------------------------------------------------------------------
