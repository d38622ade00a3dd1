"""Captum's attributions for PyTorch models, and SHAP values for them through DeepLiftShap.

Registered explainers (``REGISTRY``): ``"integrated_gradients"``, ``"saliency"``, ``"deeplift"``,
``"gradient_shap"`` for tabular and image models with gradients, ``"occlusion"`` for image models.
Each explains the number :meth:`ModelAdapter.output` gives per row: the positive-class probability
(binary), the probability of the predicted class (multiclass), or the value (regression).

Tabular attributions are computed in the model's input space (after the preprocessor) and summed
back to the original features through ``adapter.column_groups()`` for the additive methods
(Integrated Gradients, DeepLift, GradientShap); Saliency, which is not additive, takes the L2 norm
of the gradient over each feature's encoded columns. Images keep their (n, C, H, W) shape.

:func:`deep_shap` gives SHAP values for a torch model with Captum's DeepLift rules averaged over a
background (the DeepLiftShap algorithm); the SHAP explainer calls it for torch adapters.
"""

from __future__ import annotations

import abc
import contextlib
import copy
import time
import warnings

import numpy as np
import pandas as pd

from xai_audit._optional import require
from xai_audit.explainers.base import Explainer, Explanation, register
from xai_audit.exceptions import InvalidInputError, UnsupportedModelError

DEFAULT_BACKGROUND_SIZE = 100
# Input floats per forward chunk (rows times steps or samples): bounds memory whatever the input
# size; on CPU, chunks of 2**16 to 2**18 floats ran faster than larger ones (activations stay in cache).
_FLOATS_PER_CHUNK = 1 << 17
# Input floats per DeepLift batch of input–reference pairs: small enough for the activations to
# stay in cache (measured fastest on CPU for MLPs and small CNNs), large enough to amortise the hooks.
_DEEPLIFT_FLOATS = 1 << 17
# Composite Gauss-Legendre rule for the output head's path-integrated gradient: 8 panels of 16 nodes.
_HEAD_PANELS, _HEAD_NODES = 8, 16
# A row's |output − base| is floored at this fraction of its mean over the rows, so that rows whose
# output hardly moves from the baseline do not turn float32 rounding into a large relative error.
_RELATIVE_FLOOR = 0.1


def _torch():
    return require("torch", extra="torch", purpose="Explaining a PyTorch model")


def _captum():
    return require("captum.attr", extra="torch", purpose="Explaining a PyTorch model with Captum")


# -- what every method attributes -----------------------------------------------------------------


class _Task:
    """The rows to attribute, in model-input space, with their targets and references.

    ``targets`` holds one output column per row (None for regression), ``baseline`` one reference
    input (1, ...), ``background`` a sample of references (B, ...) for GradientShap and DeepLiftShap.
    """

    def __init__(self, inputs, targets, baseline, background, baseline_kind, baseline_note):
        self.inputs = inputs
        self.targets = targets
        self.baseline = baseline
        self.background = background
        self.baseline_kind = baseline_kind
        self.baseline_note = baseline_note


def _check_adapter(adapter, method):
    if not (getattr(adapter, "has_gradients", False) and hasattr(adapter, "forward")):
        raise UnsupportedModelError(
            f"The explainer '{method}' needs a PyTorch model whose gradients reach its input; the model "
            f"'{getattr(adapter, 'name', adapter)}' ({getattr(adapter, 'framework', type(adapter).__name__)}) "
            "has none. Use 'shap', 'lime' or 'permutation' instead."
        )


def _positions(rows, n_total, random_state):
    """Row positions: all rows (None), a seeded sample of ``rows`` rows (int), or the given positions."""
    if rows is None:
        return np.arange(n_total)
    if isinstance(rows, (int, np.integer)) and not isinstance(rows, bool):
        if rows < 1:
            raise InvalidInputError(f"rows must be a positive number of rows or a list of positions; got {rows}.")
        if rows >= n_total:
            return np.arange(n_total)
        return np.sort(np.random.default_rng(random_state).choice(n_total, int(rows), replace=False))
    positions = np.asarray(rows)
    if positions.ndim != 1 or positions.size == 0 or not np.issubdtype(positions.dtype, np.integer):
        raise InvalidInputError(f"rows must be a non-empty list of integer row positions; got {rows!r}.")
    if positions.min() < -n_total or positions.max() >= n_total:
        raise InvalidInputError(
            f"The row positions must lie in [0, {n_total}); got {positions.min()}..{positions.max()}.")
    return np.where(positions < 0, positions + n_total, positions)


def _all_inputs(adapter, data, features):
    """The data as the model takes it before preprocessing: a frame of ``features`` or the images."""
    images = getattr(data, "images", None)
    if adapter.input_kind == "image":
        if images is None and not isinstance(data, np.ndarray):
            raise InvalidInputError(
                f"The model '{adapter.name}' takes images, but the data holds none; build the data with "
                "AuditDataset.from_arrays(images, labels)."
            )
        return np.asarray(images if images is not None else data, dtype=np.float32)
    if hasattr(data, "model_input"):
        return data.model_input(features)
    if isinstance(data, pd.DataFrame):
        return data.loc[:, list(features)] if features else data
    raise InvalidInputError(f"data must be an AuditDataset or a DataFrame; got {type(data).__name__}.")


def _take(table, positions):
    return table.iloc[positions] if isinstance(table, pd.DataFrame) else table[positions]


def _background_positions(n_total, size, random_state):
    if n_total <= size:
        return np.arange(n_total)
    return np.sort(np.random.default_rng(random_state).choice(n_total, size, replace=False))


def _references(adapter, table, baseline, background_size, random_state):
    """(baseline (1, ...), background (B, ...), "mean" or "zeros", a sentence saying what they are)."""
    if baseline == "auto":
        baseline = "zeros" if adapter.input_kind == "image" else "mean"
    if baseline not in ("mean", "zeros"):
        raise InvalidInputError(f"baseline must be 'auto', 'mean' or 'zeros'; got {baseline!r}.")
    chosen = _background_positions(len(table), background_size, random_state)
    background = adapter.model_input(_take(table, chosen))
    if baseline == "zeros":
        reference = np.zeros((1,) + background.shape[1:], dtype=np.float32)
        note = ("zeros (a black image)" if adapter.input_kind == "image"
                else "zeros in model-input space")
        return reference, background, "zeros", note
    reference = background.mean(axis=0, keepdims=True).astype(np.float32)
    where = "model-input space (after the preprocessor)" if adapter.preprocessor is not None else "model-input space"
    return reference, background, "mean", f"mean of {len(background)} background rows (seeded sample) in {where}"


def _forward_numpy(adapter, inputs, batch_size=4096):
    """The adapter's differentiable outputs, without gradients: (n, k) probabilities or (n,) values."""
    torch = _torch()
    chunks = []
    with torch.no_grad():
        for start in range(0, len(inputs), batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(inputs[start:start + batch_size])).to(adapter.device)
            chunks.append(adapter.forward(batch).detach().cpu().numpy().astype(float))
    return np.concatenate(chunks)


def _targets_and_output(adapter, inputs, targets=None):
    """One output column per row (None for regression) and the explained output of each row."""
    scores = _forward_numpy(adapter, inputs)
    if adapter.task == "regression":
        return None, scores.reshape(len(inputs))
    if targets is None:
        if adapter.task == "binary":
            targets = np.full(len(inputs), adapter.positive_index, dtype=np.int64)
        else:
            targets = scores.argmax(axis=1).astype(np.int64)
    return targets, scores[np.arange(len(inputs)), targets]


def _target_note(adapter):
    if adapter.task == "regression":
        return "the predicted value"
    if adapter.task == "binary":
        return f"the probability of the positive class {adapter.positive_class!r}"
    return "the probability of each row's predicted class"


def _seed(random_state):
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    return int(np.random.default_rng(random_state).integers(0, 2**31 - 1))


@contextlib.contextmanager
def _seeded(random_state, device):
    """Seed torch's and numpy's global generators (Captum draws from both) and restore them after."""
    torch = _torch()
    seed = _seed(random_state)
    numpy_state = np.random.get_state()
    devices = []
    if str(device).startswith("cuda"):
        index = torch.device(device).index
        devices = [torch.cuda.current_device() if index is None else index]
    try:
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            np.random.seed(seed)
            yield seed
    finally:
        np.random.set_state(numpy_state)


def _row_batch(inputs, per_row_factor, batch_size):
    """Rows per batch such that rows × factor × row size stays within the memory budget."""
    if batch_size is not None:
        return max(1, int(batch_size))
    row_size = int(np.prod(inputs.shape[1:])) or 1
    return max(1, _FLOATS_PER_CHUNK // (row_size * max(1, per_row_factor)))


def _tensor(array, device):
    torch = _torch()
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)).to(device)


def _target_tensor(targets, start, stop, device):
    if targets is None:
        return None
    torch = _torch()
    return torch.as_tensor(targets[start:stop], dtype=torch.long, device=device)


def _summed_output(adapter):
    """The batch's explained outputs summed to one number, each row's target passed along.

    Captum's gradient methods take the gradient of every output row separately (one autograd output
    per row: slow in Python for the many rows that steps and samples make). The rows of an eval-mode
    model do not interact, so the gradient of the sum is the same per-row gradient, in one pass.
    Targets travel as an additional forward argument, which Captum expands with the rows.
    """

    def forward(inputs, targets=None):
        scores = adapter.forward(inputs)
        if targets is not None:
            scores = scores.gather(1, targets[:, None])
        return scores.sum().reshape(1)

    return forward


def _target_args(targets, start, stop, device):
    """Additional forward arguments for :func:`_summed_output`: the batch's targets, or none."""
    tensor = _target_tensor(targets, start, stop, device)
    return None if tensor is None else (tensor,)


def _completeness(values, base_values, output):
    """|sum of attributions + base − output| per row: absolute, and relative to |output − base|."""
    total = values.reshape(len(values), -1).sum(axis=1) + base_values
    error = np.abs(total - output)
    change = np.abs(output - base_values)
    floor = max(_RELATIVE_FLOOR * float(change.mean()) if change.size else 0.0, 1e-12)
    return error, error / np.maximum(change, floor)


def _delta_summary(error, relative):
    return {
        "max_abs": float(error.max()) if error.size else 0.0,
        "mean_abs": float(error.mean()) if error.size else 0.0,
        "max_relative": float(relative.max()) if relative.size else 0.0,
        "mean_relative": float(relative.mean()) if relative.size else 0.0,
    }


_RELATIVE_NOTE = (f"|output − base value| per row, floored at {_RELATIVE_FLOOR:g} × its mean over the rows")


@contextlib.contextmanager
def _quiet():
    """Silence Captum's notice that DeepLift sets hooks on the activations for each call."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"(?s).*Setting forward, backward hooks")
        yield


# -- grouping to original features -----------------------------------------------------------------


def _feature_layout(adapter, features, n_columns):
    """(feature names, column groups or None) for a tabular model whose input has ``n_columns``."""
    features = list(features or adapter.feature_names or [])
    groups = adapter.column_groups() if adapter.preprocessor is not None else None
    if adapter.preprocessor is not None and groups is None:
        raise UnsupportedModelError(
            f"The preprocessor of the model '{adapter.name}' turns the features into {n_columns} columns "
            "whose names cannot be traced back to the input features, so attributions cannot be summed "
            "per original feature. Give the preprocessor get_feature_names_out() names of the form "
            "'<transformer>__<feature>' or '<feature>_<category>'."
        )
    if groups is not None:
        covered = sorted(c for g in groups for c in g.columns)
        if covered != list(range(n_columns)):
            raise UnsupportedModelError(
                f"The column groups of the model '{adapter.name}' cover {len(covered)} of its "
                f"{n_columns} input columns."
            )
        return tuple(g.feature for g in groups), groups
    if not features:
        features = [f"x{i}" for i in range(n_columns)]
    if len(features) != n_columns:
        raise InvalidInputError(
            f"The model '{adapter.name}' takes {n_columns} input columns but {len(features)} features were "
            f"given ({features[:10]}{'...' if len(features) > 10 else ''})."
        )
    return tuple(features), None


def _group(values, groups, rule):
    """Encoded-column attributions (n, n_columns) to one column per original feature."""
    if groups is None:
        return values
    if rule == "sum":
        return np.stack([values[:, list(g.columns)].sum(axis=1) for g in groups], axis=1)
    return np.stack([np.sqrt((values[:, list(g.columns)] ** 2).sum(axis=1)) for g in groups], axis=1)


# -- the common explain() ----------------------------------------------------------------------------


class _CaptumExplainer(Explainer):
    """What the Captum explainers share: preparing the rows, grouping, and the Explanation."""

    grouping = "sum"

    def __init__(self, *, baseline="auto", background_size=DEFAULT_BACKGROUND_SIZE, batch_size=None):
        self.baseline = baseline
        self.background_size = background_size
        self.batch_size = batch_size

    @classmethod
    def supports(cls, adapter) -> bool:
        return bool(getattr(adapter, "has_gradients", False)) and hasattr(adapter, "forward")

    def task(self, adapter, data, features, rows, *, random_state=None):
        """The rows' model inputs, targets and references; also the rows and their positions."""
        table = _all_inputs(adapter, data, features)
        positions = _positions(rows, len(table), random_state)
        explained = _take(table, positions)
        inputs = adapter.model_input(explained)
        baseline, background, kind, note = _references(
            adapter, table, self.baseline, self.background_size, random_state)
        targets, _ = _targets_and_output(adapter, inputs)
        return _Task(inputs, targets, baseline, background, kind, note), explained, positions

    def explain(self, adapter, data, features, rows, *, random_state=None) -> Explanation:
        """Attribute the explained output of ``rows`` (positions into ``data``) to the features.

        Parameters
        ----------
        adapter : TorchAdapter
        data : AuditDataset
        features : list of str
            The model's input columns (empty for images).
        rows : int, sequence of int or None
            Row positions, or how many rows to sample (seeded), or None for every row.
        random_state : int, optional
            Seeds the row and background samples and any sampling inside the method.

        Returns
        -------
        Explanation
            Tabular: one column per original feature; images: (n, C, H, W).
        """
        self.check(adapter)
        started = time.perf_counter()
        task, explained, positions = self.task(adapter, data, features, rows, random_state=random_state)
        feature_names, groups = (), None
        if adapter.input_kind != "image":
            feature_names, groups = _feature_layout(adapter, features, task.inputs.shape[1])
        _, output = _targets_and_output(adapter, task.inputs, task.targets)
        values, base_values, details = self.attribute(adapter, task, random_state=random_state)
        error, relative = _completeness(values, base_values, output)
        meta = {
            "explainer": f"captum.attr.{self.captum_class}",
            "output_space": "value" if adapter.task == "regression" else "probability",
            "target": _target_note(adapter),
            "baseline": task.baseline_note,
            "additive": self.additive,
        }
        meta.update(details)
        meta["additivity_error"] = _delta_summary(error, relative)
        meta["device"] = str(adapter.device)
        if adapter.task == "multiclass":
            meta["target_classes"] = [_plain(adapter.classes[t]) for t in task.targets]
        meta["grouped_encoded_columns"] = groups is not None
        if groups is not None:
            meta["encoded_columns"] = int(task.inputs.shape[1])
            meta["grouping_rule"] = ("sum over each feature's encoded columns" if self.grouping == "sum"
                                     else "L2 norm of the gradient over each feature's encoded columns")
            values = _group(values, groups, self.grouping)
        if adapter.input_kind != "image" and meta["baseline"] == task.baseline_note and task.baseline_kind == "mean":
            meta["baseline_input"] = [float(v) for v in task.baseline.reshape(-1)]
        meta["seconds"] = round(time.perf_counter() - started, 4)
        return Explanation(
            values=values, base_values=base_values, output=output, data=explained,
            feature_names=tuple(feature_names), row_index=np.asarray(positions, dtype=int),
            method=self.name, meta=meta,
        )

    def check(self, adapter):
        """Raise UnsupportedModelError unless this method can explain ``adapter``."""
        _check_adapter(adapter, self.name)

    @abc.abstractmethod
    def attribute(self, adapter, task, *, random_state=None):
        """(values in model-input space, base values (n,), meta) for a prepared task."""

    def _base_values(self, adapter, task, references):
        scores = _forward_numpy(adapter, references)
        if task.targets is None:
            return np.full(len(task.inputs), scores.reshape(len(references)).mean())
        return scores.mean(axis=0)[task.targets]


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


# -- Integrated Gradients -----------------------------------------------------------------------------


@register
class IntegratedGradientsExplainer(_CaptumExplainer):
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
        _, output = _targets_and_output(adapter, task.inputs, task.targets)
        values = np.zeros(task.inputs.shape, dtype=float)
        steps_used = np.zeros(n, dtype=int)
        pending = np.arange(n)
        relative = np.zeros(n)
        schedule = self.schedule()
        for steps in schedule:
            values[pending] = self._integrate(adapter, task, pending, steps)
            steps_used[pending] = steps
            error, relative = _completeness(values, base_values, output)
            pending = np.flatnonzero(relative > self.tolerance)
            if pending.size == 0:
                break
        error, relative = _completeness(values, base_values, output)
        counts = {str(s): int((steps_used == s).sum()) for s in schedule if (steps_used == s).any()}
        meta = {
            "integration": self.method,
            "n_steps": int(steps_used.max()) if n else self.n_steps,
            "step_schedule": schedule,
            "rows_per_step_count": counts,
            "tolerance": self.tolerance,
            "completeness_reached": bool(pending.size == 0),
            "rows_not_converged": int(pending.size),
            "convergence_delta": _delta_summary(error, relative),
            "convergence_delta_relative_to": _RELATIVE_NOTE,
        }
        return values, base_values, meta

    def _integrate(self, adapter, task, positions, steps):
        captum = _captum()
        method = captum.IntegratedGradients(_summed_output(adapter))
        inputs = task.inputs[positions]
        targets = None if task.targets is None else task.targets[positions]
        per_batch = _row_batch(inputs, 1, self.batch_size)
        row_size = int(np.prod(inputs.shape[1:])) or 1
        chunks = []
        for start in range(0, len(inputs), per_batch):
            batch = _tensor(inputs[start:start + per_batch], adapter.device)
            internal = max(len(batch), _FLOATS_PER_CHUNK // row_size)
            attributions = method.attribute(
                batch, baselines=_tensor(task.baseline, adapter.device).expand_as(batch),
                additional_forward_args=_target_args(targets, start, start + per_batch, adapter.device),
                n_steps=steps, method=self.method, internal_batch_size=internal)
            chunks.append(attributions.detach().cpu().numpy().astype(float))
        return np.concatenate(chunks)


# -- Saliency ------------------------------------------------------------------------------------------


@register
class SaliencyExplainer(_CaptumExplainer):
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
        captum = _captum()
        method = captum.Saliency(_summed_output(adapter))
        per_batch = _row_batch(task.inputs, 4, self.batch_size)
        chunks = []
        for start in range(0, len(task.inputs), per_batch):
            batch = _tensor(task.inputs[start:start + per_batch], adapter.device).requires_grad_()
            gradients = method.attribute(
                batch, abs=True,
                additional_forward_args=_target_args(task.targets, start, start + per_batch, adapter.device))
            chunks.append(gradients.detach().cpu().numpy().astype(float))
        base_values = self._base_values(adapter, task, task.baseline)
        return np.concatenate(chunks), base_values, {"absolute": True}


# -- DeepLift and DeepLiftShap -----------------------------------------------------------------------


def _layers_visible(module) -> bool:
    """Whether DeepLift can hook the module's layers: an eager module, not TorchScript or torch.export."""
    torch = _torch()
    return not isinstance(module, (torch.jit.ScriptModule, torch.fx.GraphModule))


def _gauss_legendre_panels():
    nodes, weights = np.polynomial.legendre.leggauss(_HEAD_NODES)
    edges = np.linspace(0.0, 1.0, _HEAD_PANELS + 1)
    width = edges[1] - edges[0]
    t = np.concatenate([edges[i] + (nodes + 1) * width / 2 for i in range(_HEAD_PANELS)])
    w = np.concatenate([weights * width / 2 for _ in range(_HEAD_PANELS)])
    return t, w


def _head_multipliers(adapter, raw_inputs, raw_references, targets):
    """Path-integrated gradient of the explained output with respect to the module's raw outputs.

    The adapter turns the module's raw outputs z (logits, probabilities or values) into the explained
    output g(z) (a sigmoid or softmax column, or the value). For each input–reference pair this returns
    m = ∫₀¹ ∇g(z_ref + t (z_in − z_ref)) dt, so that m · (z_in − z_ref) = g(z_in) − g(z_ref): the
    exact multiplier of a multi-input nonlinearity, where DeepLift's rules for Softmax are approximate.
    """
    torch = _torch()
    head = copy.copy(adapter)
    head.module = torch.nn.Identity()
    start = raw_references.double()
    delta = raw_inputs.double() - start
    if delta.shape[1] == 1:
        return _secant(head, start, delta, targets).to(raw_inputs.dtype)
    nodes, weights = _gauss_legendre_panels()
    multipliers = torch.zeros_like(delta)
    for panel in range(_HEAD_PANELS):
        panel_nodes = slice(panel * _HEAD_NODES, (panel + 1) * _HEAD_NODES)
        t = torch.as_tensor(nodes[panel_nodes], dtype=delta.dtype, device=delta.device)
        w = torch.as_tensor(weights[panel_nodes], dtype=delta.dtype, device=delta.device)
        points = (start[None] + t[:, None, None] * delta[None]).reshape(-1, delta.shape[1]).requires_grad_(True)
        scores = head.forward(points)
        if targets is None:
            selected = scores.reshape(-1)
        else:
            repeated = targets.repeat(len(t))
            selected = scores[torch.arange(len(points), device=scores.device), repeated]
        (gradient,) = torch.autograd.grad(selected.sum(), points)
        multipliers += (gradient.reshape(len(t), *delta.shape) * w[:, None, None]).sum(dim=0)
    return multipliers.to(raw_inputs.dtype)


def _secant(head, start, delta, targets):
    """The exact multiplier of a one-input head: (g(z_in) − g(z_ref)) / (z_in − z_ref), and the
    derivative at the midpoint where the two logits (nearly) coincide."""
    torch = _torch()

    def explained(z):
        scores = head.forward(z)
        return scores.reshape(-1) if targets is None else scores[torch.arange(len(z), device=z.device), targets]

    with torch.no_grad():
        change = explained(start + delta) - explained(start)
    middle = (start + delta / 2).requires_grad_(True)
    (slope,) = torch.autograd.grad(explained(middle).sum(), middle)
    small = delta.abs() < 1e-6
    return torch.where(small, slope, change[:, None] / torch.where(small, torch.ones_like(delta), delta))


def _weighted_module(adapter):
    """The adapter's module with its raw outputs combined by per-row weights (a linear head)."""
    torch = _torch()

    class WeightedOutput(torch.nn.Module):
        def __init__(self, module):
            super().__init__()
            self.module = module

        def forward(self, inputs, weights):
            raw = self.module(inputs)
            explained = (raw.reshape(len(raw), -1) * weights).sum(dim=1)
            # DeepLift runs the inputs and their references as one batch (inputs first) and Captum
            # takes the gradient of each output row separately, one autograd output per row. Rows do
            # not interact in an eval-mode model, so the gradient of each half's sum is the same,
            # and two outputs instead of thousands save most of the time.
            return explained.reshape(2, -1).sum(dim=1)

    return WeightedOutput(adapter.module)


def _activation_types():
    """The layers DeepLift has rules for (captum's ``SUPPORTED_NON_LINEAR``)."""
    nn = _torch().nn
    return (nn.ReLU, nn.ELU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.Softplus, nn.Softmax,
            nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)


def _clone_inputs(module, inputs):
    return tuple(x.clone() if hasattr(x, "clone") else x for x in inputs)


@contextlib.contextmanager
def _separate_activation_inputs(module):
    """Give every activation layer its own input tensor for the duration of the block.

    Captum's DeepLift keeps its gradient hooks on the input and output tensors of each activation
    layer. When one activation feeds another directly (ReLU → MaxPool2d), both hook the same tensor
    and the second rule reads the gradient before the first has rescaled it: the attributions no
    longer add up (captum issue #1104). A differentiable copy of each activation's input keeps the
    two apart; the model's outputs and gradients are unchanged.
    """
    types = _activation_types()
    handles = [layer.register_forward_pre_hook(_clone_inputs) for layer in module.modules() if type(layer) in types]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _raw(adapter, inputs):
    torch = _torch()
    with torch.no_grad():
        raw = adapter.module(inputs)
    return raw.reshape(len(raw), -1)


def _deeplift_pairs(adapter, inputs, references, targets, *, pair_batch=None):
    """DeepLift attributions of every input against every reference, averaged over the references.

    With one reference this is DeepLift; with a background sample it is DeepLiftShap. Captum's
    DeepLift (rescale rule) propagates through the module's layers; the adapter's output head
    (sigmoid, softmax or identity) gets its exact path-integrated multipliers per pair.
    Returns an (n, ...) float array.
    """
    torch = _torch()
    captum = _captum()
    model = _weighted_module(adapter)
    deeplift = captum.DeepLift(model)
    n_refs = len(references)
    reference_tensor = _tensor(references, adapter.device)
    raw_references = _raw(adapter, reference_tensor)
    if pair_batch is None:
        pair_batch = max(1, _DEEPLIFT_FLOATS // (int(np.prod(inputs.shape[1:])) or 1))
    per_batch = max(1, pair_batch // n_refs)
    target_tensor = None if targets is None else torch.as_tensor(targets, dtype=torch.long, device=adapter.device)
    chunks = []
    with _quiet(), _separate_activation_inputs(adapter.module):
        for start in range(0, len(inputs), per_batch):
            batch = _tensor(inputs[start:start + per_batch], adapter.device)
            rows = len(batch)
            pair_inputs = batch.repeat_interleave(n_refs, dim=0).requires_grad_()
            pair_references = reference_tensor.repeat((rows,) + (1,) * (reference_tensor.ndim - 1))
            raw_inputs = _raw(adapter, batch).repeat_interleave(n_refs, dim=0)
            pair_targets = (None if target_tensor is None
                            else target_tensor[start:start + rows].repeat_interleave(n_refs))
            weights = _head_multipliers(adapter, raw_inputs, raw_references.repeat(rows, 1), pair_targets).detach()
            attributions = deeplift.attribute(pair_inputs, baselines=pair_references,
                                              additional_forward_args=(weights,))
            attributions = attributions.detach().reshape((rows, n_refs) + tuple(batch.shape[1:])).mean(dim=1)
            chunks.append(attributions.cpu().numpy().astype(float))
    return np.concatenate(chunks)


@register
class DeepLiftExplainer(_CaptumExplainer):
    """DeepLift (Shrikumar et al., 2017), rescale rule, against the baseline.

    Attributions add up exactly to output − base output when every nonlinearity of the module is a
    layer DeepLift knows (``nn.ReLU``, ``nn.Sigmoid``, ``nn.Tanh``, ``nn.MaxPool2d``...); the
    adapter's own sigmoid or softmax on the logits is handled exactly. Functional activations
    (``F.relu`` in ``forward``) are invisible to DeepLift: the completeness check in
    ``meta["completeness_reached"]`` then fails and says so. TorchScript and ``torch.export``
    modules are not supported (their layers cannot be hooked).

    Examples
    --------
    >>> import torch, pandas as pd
    >>> from xai_audit.adapters.torch import TorchAdapter
    >>> from xai_audit.data import AuditDataset
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    >>> model = TorchAdapter(net, task="binary", classes=[0, 1], feature_names=["a", "b"], device="cpu")
    >>> df = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0], "y": [0, 1, 0, 1]})
    >>> e = DeepLiftExplainer().explain(model, AuditDataset.from_frame(df, target="y"), ["a", "b"], None)
    >>> e.additivity_error() < 1e-5, e.meta["completeness_reached"]
    (True, True)
    """

    name = "deeplift"
    additive = True
    captum_class = "DeepLift"

    def __init__(self, *, tolerance=0.01, baseline="auto", background_size=DEFAULT_BACKGROUND_SIZE, batch_size=None):
        super().__init__(baseline=baseline, background_size=background_size, batch_size=batch_size)
        self.tolerance = float(tolerance)

    @classmethod
    def supports(cls, adapter) -> bool:
        return super().supports(adapter) and _layers_visible(adapter.module)

    def attribute(self, adapter, task, *, random_state=None):
        if not _layers_visible(adapter.module):
            raise UnsupportedModelError(
                f"DeepLift needs an eager torch.nn.Module whose layers it can hook; the model '{adapter.name}' "
                f"is a {type(adapter.module).__name__} (TorchScript or torch.export). Use 'integrated_gradients' "
                "or 'gradient_shap'."
            )
        values = _deeplift_pairs(adapter, task.inputs, task.baseline, task.targets, pair_batch=self.batch_size)
        base_values = self._base_values(adapter, task, task.baseline)
        _, output = _targets_and_output(adapter, task.inputs, task.targets)
        error, relative = _completeness(values, base_values, output)
        reached = bool((relative <= self.tolerance).all())
        meta = {"rule": "rescale", "output_head": "exact path-integrated multipliers of the sigmoid/softmax",
                "tolerance": self.tolerance, "completeness_reached": reached,
                "convergence_delta": _delta_summary(error, relative),
                "convergence_delta_relative_to": _RELATIVE_NOTE}
        if not reached:
            meta["completeness_note"] = (
                "The attributions do not add up to output − base output: the model has nonlinearities "
                "DeepLift cannot see (functional calls such as F.relu, or layers without a DeepLift rule).")
        return values, base_values, meta


def deep_shap(adapter, inputs, background, *, random_state=None):
    """SHAP values for a PyTorch model with Captum's DeepLift rules averaged over a background.

    This is the DeepLiftShap algorithm (what ``shap.DeepExplainer`` computes for PyTorch): DeepLift of
    each row against every background row, averaged. The explained output per row is the
    positive-class probability (binary), the probability of the row's predicted class (multiclass)
    or the value (regression). The adapter's sigmoid/softmax on the logits gets exact multipliers,
    so the values add up to the output.

    Parameters
    ----------
    adapter : TorchAdapter
        An eager ``torch.nn.Module`` (its layers are hooked).
    inputs, background : ndarray or DataFrame
        Rows to explain and background rows; arrays are taken to be in model-input space
        (preprocessed columns, or images), DataFrames go through the adapter's preprocessor.
    random_state : optional
        Accepted for a uniform signature; DeepLiftShap draws no random numbers.

    Returns
    -------
    values : ndarray
        Same shape as the model inputs of ``inputs`` (encoded columns for tabular models).
    base_values : ndarray
        (n,): the mean explained output over the background, for each row's target.

    Raises
    ------
    UnsupportedModelError
        For TorchScript / ``torch.export`` modules, and when the values do not add up to the output
        within 1% (the model has nonlinearities DeepLift cannot see); a model-agnostic SHAP
        explainer is the fallback.

    Examples
    --------
    >>> import torch
    >>> from xai_audit.adapters.torch import TorchAdapter
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    >>> model = TorchAdapter(net, task="multiclass", classes=["a", "b", "c"], device="cpu")
    >>> X = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    >>> values, base = deep_shap(model, X, X)
    >>> values.shape, bool(np.allclose(values.sum(axis=1) + base, model.output(X), atol=1e-5))
    ((5, 3), True)
    """
    _check_adapter(adapter, "shap")
    if not _layers_visible(adapter.module):
        raise UnsupportedModelError(
            f"DeepLiftShap needs an eager torch.nn.Module whose layers it can hook; the model '{adapter.name}' "
            f"is a {type(adapter.module).__name__} (TorchScript or torch.export). Use a model-agnostic "
            "SHAP explainer (KernelExplainer) for it."
        )
    inputs = adapter.model_input(inputs)
    background = adapter.model_input(background)
    if len(inputs) == 0 or len(background) == 0:
        raise InvalidInputError(
            f"deep_shap needs at least one row to explain and one background row; got {len(inputs)} "
            f"and {len(background)}."
        )
    if inputs.shape[1:] != background.shape[1:]:
        raise InvalidInputError(
            f"The background rows have shape {background.shape[1:]} and the explained rows {inputs.shape[1:]}; "
            "they must be in the same model-input space."
        )
    targets, output = _targets_and_output(adapter, inputs)
    values = _deeplift_pairs(adapter, inputs, background, targets)
    scores = _forward_numpy(adapter, background)
    base_values = (np.full(len(inputs), scores.reshape(len(background)).mean()) if targets is None
                   else scores.mean(axis=0)[targets])
    error, relative = _completeness(values, base_values, output)
    if relative.max() > 0.01:
        raise UnsupportedModelError(
            f"DeepLiftShap's values for the model '{adapter.name}' do not add up to its output (largest error "
            f"{error.max():.3g}, {relative.max():.1%} of |output − base value|): DeepLift sees only nonlinearities "
            "that are layers with a DeepLift rule (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.MaxPool2d...); functional "
            "calls such as F.relu inside forward are treated as linear. Use such layers, or a model-agnostic "
            "SHAP explainer."
        )
    return values, base_values


# -- GradientShap --------------------------------------------------------------------------------------


@register
class GradientShapExplainer(_CaptumExplainer):
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
        captum = _captum()
        references, note = self._reference_set(adapter, task)
        method = captum.GradientShap(_summed_output(adapter))
        per_batch = _row_batch(task.inputs, self.n_samples, self.batch_size)
        reference_tensor = _tensor(references, adapter.device)
        chunks = []
        with _seeded(random_state, adapter.device) as seed:
            for start in range(0, len(task.inputs), per_batch):
                batch = _tensor(task.inputs[start:start + per_batch], adapter.device)
                attributions = method.attribute(
                    batch, baselines=reference_tensor, n_samples=self.n_samples, stdevs=self.stdevs,
                    additional_forward_args=_target_args(task.targets, start, start + per_batch, adapter.device))
                chunks.append(attributions.detach().cpu().numpy().astype(float))
        base_values = self._base_values(adapter, task, references)
        return np.concatenate(chunks), base_values, {
            "baseline": note, "n_samples": self.n_samples, "stdevs": self.stdevs,
            "n_references": int(len(references)), "seed": seed,
        }


# -- Occlusion ----------------------------------------------------------------------------------------


@register
class OcclusionExplainer(_CaptumExplainer):
    """Occlusion (Zeiler & Fergus, 2014) for image models: a window slides over the image, all
    channels at once, is replaced by the baseline (zeros), and the drop in the explained output is
    spread over the window's pixels. Not additive.

    Parameters
    ----------
    window : int, optional
        Side of the square window; default: a quarter of the image's shorter side (at least 1).
    stride : int, optional
        Default: half the window (at least 1).

    Examples
    --------
    >>> import torch
    >>> from xai_audit.adapters.torch import TorchAdapter
    >>> from xai_audit.data import AuditDataset
    >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 2))
    >>> model = TorchAdapter(net, task="binary", classes=[0, 1], input_kind="image", device="cpu")
    >>> data = AuditDataset.from_arrays(np.ones((3, 4, 4)), [0, 1, 0])
    >>> e = OcclusionExplainer().explain(model, data, [], None)
    >>> e.values.shape, e.meta["sliding_window"]
    ((3, 1, 4, 4), [1, 1, 1])
    """

    name = "occlusion"
    additive = False
    captum_class = "Occlusion"

    def __init__(self, *, window=None, stride=None, baseline="zeros", background_size=DEFAULT_BACKGROUND_SIZE,
                 batch_size=None):
        super().__init__(baseline=baseline, background_size=background_size, batch_size=batch_size)
        self.window = window
        self.stride = stride

    @classmethod
    def supports(cls, adapter) -> bool:
        return hasattr(adapter, "forward") and getattr(adapter, "input_kind", "tabular") == "image"

    def check(self, adapter):
        if not self.supports(adapter):
            raise UnsupportedModelError(
                f"Occlusion explains PyTorch image models; the model '{getattr(adapter, 'name', adapter)}' takes "
                f"{getattr(adapter, 'input_kind', 'tabular')} input. Use 'permutation' or 'shap' for tables."
            )

    def attribute(self, adapter, task, *, random_state=None):
        captum = _captum()
        channels, height, width = task.inputs.shape[1:]
        window = self.window or max(1, min(height, width) // 4)
        stride = self.stride or max(1, window // 2)
        method = captum.Occlusion(adapter.forward)
        per_batch = _row_batch(task.inputs, 1, self.batch_size)
        positions = ((height - window) // stride + 1) * ((width - window) // stride + 1)
        per_eval = max(1, min(positions, _FLOATS_PER_CHUNK // (int(np.prod(task.inputs.shape[1:])) * per_batch)))
        chunks = []
        for start in range(0, len(task.inputs), per_batch):
            batch = _tensor(task.inputs[start:start + per_batch], adapter.device)
            attributions = method.attribute(
                batch, sliding_window_shapes=(channels, window, window), strides=(channels, stride, stride),
                baselines=_tensor(task.baseline, adapter.device)[0],
                target=_target_tensor(task.targets, start, start + per_batch, adapter.device),
                perturbations_per_eval=per_eval)
            chunks.append(attributions.detach().cpu().numpy().astype(float))
        base_values = self._base_values(adapter, task, task.baseline)
        return np.concatenate(chunks), base_values, {
            "sliding_window": [int(channels), int(window), int(window)],
            "strides": [int(channels), int(stride), int(stride)],
            "occluded_with": task.baseline_note,
        }
