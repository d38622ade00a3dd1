"""Integrated Gradients with a per-row completeness check and an adaptive step schedule."""

from __future__ import annotations

import numpy as np

from xai_audit.explainers.captum._common import (
    DEFAULT_BACKGROUND_SIZE,
    FLOATS_PER_CHUNK,
    RELATIVE_NOTE,
    CaptumExplainer,
    completeness,
    delta_summary,
    float_tensor,
    require_captum,
    rows_per_batch,
    summed_output,
    target_args,
    targets_and_output,
)
from xai_audit.exceptions import InvalidInputError


class IntegratedGradientsExplainer(CaptumExplainer):
    """Integrated Gradients (Sundararajan et al., 2017) with a completeness check per row.

    The path integral from the baseline to each row is computed with ``n_steps`` Gauss-Legendre
    nodes; rows whose convergence delta (sum of attributions − (output − base output)) exceeds
    ``tolerance`` × |output − base output| are recomputed with twice the steps, up to ``max_steps``.
    Rows still above the tolerance are counted in ``meta["rows_not_converged"]`` and
    ``meta["completeness_reached"]`` is False.

    Parameters
    ----------
    n_steps, max_steps : int
        First and largest number of integration steps (doubling in between). Only the rows that have
        not converged are recomputed, so a high ceiling costs little model time: on a ReLU MLP, 96% of
        rows converge by 400 steps and the rest by 1,600. (Captum computes the Gauss-Legendre nodes on
        each call, about 0.3 s at 1,600 steps: a fixed cost, not one per row.)
    tolerance : float
        Largest acceptable relative convergence delta.
    method : str
        Captum's integration rule: ``"gausslegendre"`` or ``"riemann_trapezoid"`` (and the other Riemann rules).
    baseline : {"auto", "mean", "zeros"}
        ``"auto"``: the mean of a background sample (tabular), zeros (images).
    background_size : int
        Rows sampled (seeded) for the mean baseline.
    batch_size : int, optional
        Rows per attribution batch; default: sized to the memory budget.

    Examples
    --------
    >>> import torch, pandas as pd
    >>> from xai_audit.adapters.torch import TorchAdapter
    >>> from xai_audit.data import AuditDataset
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    >>> model = TorchAdapter(net, task="binary", classes=[0, 1], feature_names=["a", "b"], device="cpu")
    >>> df = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0], "y": [0, 1, 0, 1]})
    >>> data = AuditDataset.from_frame(df, target="y")
    >>> e = IntegratedGradientsExplainer().explain(model, data, ["a", "b"], [0, 1, 2], random_state=0)
    >>> e.values.shape, e.meta["completeness_reached"], e.additivity_error() < 1e-3
    ((3, 2), True, True)
    """

    name = "integrated_gradients"
    additive = True
    captum_class = "IntegratedGradients"

    def __init__(self, *, n_steps=50, max_steps=1600, tolerance=0.01, method="gausslegendre",
                 baseline="auto", background_size=DEFAULT_BACKGROUND_SIZE, batch_size=None):
        super().__init__(baseline=baseline, background_size=background_size, batch_size=batch_size)
        if n_steps < 2 or max_steps < n_steps:
            raise InvalidInputError(f"Need 2 <= n_steps <= max_steps; got n_steps={n_steps}, max_steps={max_steps}.")
        if not tolerance > 0:
            raise InvalidInputError(f"tolerance must be positive; got {tolerance}.")
        self.n_steps = int(n_steps)
        self.max_steps = int(max_steps)
        self.tolerance = float(tolerance)
        self.method = method

    def schedule(self):
        steps = [self.n_steps]
        while steps[-1] * 2 <= self.max_steps:
            steps.append(steps[-1] * 2)
        if steps[-1] < self.max_steps:
            steps.append(self.max_steps)
        return steps

    def attribute(self, adapter, task, *, random_state=None):
        n = len(task.inputs)
        base_values = self._base_values(adapter, task, task.baseline)
        _, output = targets_and_output(adapter, task.inputs, task.targets)
        values = np.zeros(task.inputs.shape, dtype=float)
        steps_used = np.zeros(n, dtype=int)
        pending = np.arange(n)
        relative = np.zeros(n)
        schedule = self.schedule()
        for steps in schedule:
            values[pending] = self._integrate(adapter, task, pending, steps)
            steps_used[pending] = steps
            error, relative = completeness(values, base_values, output)
            pending = np.flatnonzero(relative > self.tolerance)
            if pending.size == 0:
                break
        error, relative = completeness(values, base_values, output)
        counts = {str(s): int((steps_used == s).sum()) for s in schedule if (steps_used == s).any()}
        meta = {
            "integration": self.method,
            "n_steps": int(steps_used.max()) if n else self.n_steps,
            "step_schedule": schedule,
            "rows_per_step_count": counts,
            "tolerance": self.tolerance,
            "completeness_reached": bool(pending.size == 0),
            "rows_not_converged": int(pending.size),
            "convergence_delta": delta_summary(error, relative),
            "convergence_delta_relative_to": RELATIVE_NOTE,
        }
        return values, base_values, meta

    def _integrate(self, adapter, task, positions, steps):
        captum = require_captum()
        method = captum.IntegratedGradients(summed_output(adapter))
        inputs = task.inputs[positions]
        targets = None if task.targets is None else task.targets[positions]
        per_batch = rows_per_batch(inputs, 1, self.batch_size)
        row_size = int(np.prod(inputs.shape[1:])) or 1
        chunks = []
        for start in range(0, len(inputs), per_batch):
            batch = float_tensor(inputs[start:start + per_batch], adapter.device)
            internal = max(len(batch), FLOATS_PER_CHUNK // row_size)
            attributions = method.attribute(
                batch, baselines=float_tensor(task.baseline, adapter.device).expand_as(batch),
                additional_forward_args=target_args(targets, start, start + per_batch, adapter.device),
                n_steps=steps, method=self.method, internal_batch_size=internal)
            chunks.append(attributions.detach().cpu().numpy().astype(float))
        return np.concatenate(chunks)


# -- Saliency ------------------------------------------------------------------------------------------
