"""What the Captum explainers share: preparing the rows, targets and references, seeding, the
completeness measure, grouping encoded columns back to original features, and the base class.

Each explainer explains the number :meth:`ModelAdapter.output` gives per row: the positive-class
probability (binary), the probability of the predicted class (multiclass), or the value (regression).
Tabular attributions are computed in the model's input space (after the preprocessor) and summed
back to the original features through ``adapter.column_groups()`` for the additive methods; the
non-additive Saliency takes the L2 norm over each feature's encoded columns. Images keep their
(n, C, H, W) shape. torch and captum are imported only when a method runs (the 'torch' extra).
"""

from __future__ import annotations

import abc
import contextlib
import time

import numpy as np
import pandas as pd

from xai_audit._optional import require
from xai_audit.explainers.base import Explainer, Explanation
from xai_audit.exceptions import InvalidInputError, UnsupportedModelError

DEFAULT_BACKGROUND_SIZE = 100
# Input floats per forward chunk (rows times steps or samples): bounds memory whatever the input
# size; on CPU, chunks of 2**16 to 2**18 floats ran faster than larger ones (activations stay in cache).
FLOATS_PER_CHUNK = 1 << 17
# A row's |output − base| is floored at this fraction of its mean over the rows, so that rows whose
# output hardly moves from the baseline do not turn float32 rounding into a large relative error.
RELATIVE_FLOOR = 0.1


def require_torch():
    return require("torch", extra="torch", purpose="Explaining a PyTorch model")


def require_captum():
    return require("captum.attr", extra="torch", purpose="Explaining a PyTorch model with Captum")


# -- what every method attributes -----------------------------------------------------------------


class AttributionTask:
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


def check_gradient_adapter(adapter, method):
    if not (getattr(adapter, "has_gradients", False) and hasattr(adapter, "forward")):
        raise UnsupportedModelError(
            f"The explainer '{method}' needs a PyTorch model whose gradients reach its input; the model "
            f"'{getattr(adapter, 'name', adapter)}' ({getattr(adapter, 'framework', type(adapter).__name__)}) "
            "has none. Use 'shap', 'lime' or 'permutation' instead."
        )


def row_positions(rows, n_total, random_state):
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


def all_inputs(adapter, data, features):
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


def take_rows(table, positions):
    return table.iloc[positions] if isinstance(table, pd.DataFrame) else table[positions]


def background_positions(n_total, size, random_state):
    if n_total <= size:
        return np.arange(n_total)
    return np.sort(np.random.default_rng(random_state).choice(n_total, size, replace=False))


def references_for(adapter, table, baseline, background_size, random_state):
    """(baseline (1, ...), background (B, ...), "mean" or "zeros", a sentence saying what they are)."""
    if baseline == "auto":
        baseline = "zeros" if adapter.input_kind == "image" else "mean"
    if baseline not in ("mean", "zeros"):
        raise InvalidInputError(f"baseline must be 'auto', 'mean' or 'zeros'; got {baseline!r}.")
    chosen = background_positions(len(table), background_size, random_state)
    background = adapter.model_input(take_rows(table, chosen))
    if baseline == "zeros":
        reference = np.zeros((1,) + background.shape[1:], dtype=np.float32)
        note = ("zeros (a black image)" if adapter.input_kind == "image"
                else "zeros in model-input space")
        return reference, background, "zeros", note
    reference = background.mean(axis=0, keepdims=True).astype(np.float32)
    where = "model-input space (after the preprocessor)" if adapter.preprocessor is not None else "model-input space"
    return reference, background, "mean", f"mean of {len(background)} background rows (seeded sample) in {where}"


def forward_numpy(adapter, inputs, batch_size=4096):
    """The adapter's differentiable outputs, without gradients: (n, k) probabilities or (n,) values."""
    torch = require_torch()
    chunks = []
    with torch.no_grad():
        for start in range(0, len(inputs), batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(inputs[start:start + batch_size])).to(adapter.device)
            chunks.append(adapter.forward(batch).detach().cpu().numpy().astype(float))
    return np.concatenate(chunks)


def targets_and_output(adapter, inputs, targets=None):
    """One output column per row (None for regression) and the explained output of each row."""
    scores = forward_numpy(adapter, inputs)
    if adapter.task == "regression":
        return None, scores.reshape(len(inputs))
    if targets is None:
        if adapter.task == "binary":
            targets = np.full(len(inputs), adapter.positive_index, dtype=np.int64)
        else:
            targets = scores.argmax(axis=1).astype(np.int64)
    return targets, scores[np.arange(len(inputs)), targets]


def target_note(adapter):
    if adapter.task == "regression":
        return "the predicted value"
    if adapter.task == "binary":
        return f"the probability of the positive class {adapter.positive_class!r}"
    return "the probability of each row's predicted class"


def seed_from(random_state):
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    return int(np.random.default_rng(random_state).integers(0, 2**31 - 1))


@contextlib.contextmanager
def seeded(random_state, device):
    """Seed torch's and numpy's global generators (Captum draws from both) and restore them after."""
    torch = require_torch()
    seed = seed_from(random_state)
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


def rows_per_batch(inputs, per_row_factor, batch_size):
    """Rows per batch such that rows × factor × row size stays within the memory budget."""
    if batch_size is not None:
        return max(1, int(batch_size))
    row_size = int(np.prod(inputs.shape[1:])) or 1
    return max(1, FLOATS_PER_CHUNK // (row_size * max(1, per_row_factor)))


def float_tensor(array, device):
    torch = require_torch()
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)).to(device)


def target_slice(targets, start, stop, device):
    if targets is None:
        return None
    torch = require_torch()
    return torch.as_tensor(targets[start:stop], dtype=torch.long, device=device)


def summed_output(adapter):
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


def target_args(targets, start, stop, device):
    """Additional forward arguments for :func:`summed_output`: the batch's targets, or none."""
    tensor = target_slice(targets, start, stop, device)
    return None if tensor is None else (tensor,)


def completeness(values, base_values, output):
    """|sum of attributions + base − output| per row: absolute, and relative to |output − base|."""
    total = values.reshape(len(values), -1).sum(axis=1) + base_values
    error = np.abs(total - output)
    change = np.abs(output - base_values)
    floor = max(RELATIVE_FLOOR * float(change.mean()) if change.size else 0.0, 1e-12)
    return error, error / np.maximum(change, floor)


def delta_summary(error, relative):
    return {
        "max_abs": float(error.max()) if error.size else 0.0,
        "mean_abs": float(error.mean()) if error.size else 0.0,
        "max_relative": float(relative.max()) if relative.size else 0.0,
        "mean_relative": float(relative.mean()) if relative.size else 0.0,
    }


RELATIVE_NOTE = (f"|output − base value| per row, floored at {RELATIVE_FLOOR:g} × its mean over the rows")
# -- grouping to original features -----------------------------------------------------------------


def feature_layout(adapter, features, n_columns):
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


def group_columns(values, groups, rule):
    """Encoded-column attributions (n, n_columns) to one column per original feature."""
    if groups is None:
        return values
    if rule == "sum":
        return np.stack([values[:, list(g.columns)].sum(axis=1) for g in groups], axis=1)
    return np.stack([np.sqrt((values[:, list(g.columns)] ** 2).sum(axis=1)) for g in groups], axis=1)


# -- the common explain() ----------------------------------------------------------------------------


class CaptumExplainer(Explainer):
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
        table = all_inputs(adapter, data, features)
        positions = row_positions(rows, len(table), random_state)
        explained = take_rows(table, positions)
        inputs = adapter.model_input(explained)
        baseline, background, kind, note = references_for(
            adapter, table, self.baseline, self.background_size, random_state)
        targets, _ = targets_and_output(adapter, inputs)
        return AttributionTask(inputs, targets, baseline, background, kind, note), explained, positions

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
            feature_names, groups = feature_layout(adapter, features, task.inputs.shape[1])
        _, output = targets_and_output(adapter, task.inputs, task.targets)
        values, base_values, details = self.attribute(adapter, task, random_state=random_state)
        error, relative = completeness(values, base_values, output)
        meta = {
            "explainer": f"captum.attr.{self.captum_class}",
            "output_space": "value" if adapter.task == "regression" else "probability",
            "target": target_note(adapter),
            "baseline": task.baseline_note,
            "additive": self.additive,
        }
        meta.update(details)
        meta["additivity_error"] = delta_summary(error, relative)
        meta["device"] = str(adapter.device)
        if adapter.task == "multiclass":
            meta["target_classes"] = [plain_value(adapter.classes[t]) for t in task.targets]
        meta["grouped_encoded_columns"] = groups is not None
        if groups is not None:
            meta["encoded_columns"] = int(task.inputs.shape[1])
            meta["grouping_rule"] = ("sum over each feature's encoded columns" if self.grouping == "sum"
                                     else "L2 norm of the gradient over each feature's encoded columns")
            values = group_columns(values, groups, self.grouping)
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
        check_gradient_adapter(adapter, self.name)

    @abc.abstractmethod
    def attribute(self, adapter, task, *, random_state=None):
        """(values in model-input space, base values (n,), meta) for a prepared task."""

    def _base_values(self, adapter, task, references):
        scores = forward_numpy(adapter, references)
        if task.targets is None:
            return np.full(len(task.inputs), scores.reshape(len(references)).mean())
        return scores.mean(axis=0)[task.targets]


def plain_value(value):
    return value.item() if isinstance(value, np.generic) else value
