"""Adapter for PyTorch modules: tabular (optionally behind a fitted sklearn preprocessor) or images."""

from __future__ import annotations

import numpy as np
import pandas as pd

from xai_audit._optional import require
from xai_audit.adapters.base import TASKS, ColumnGroup, ModelAdapter
from xai_audit.adapters.sklearn import group_columns_by_feature
from xai_audit.exceptions import InvalidInputError, ModelError


class TorchAdapter(ModelAdapter):
    """A ``torch.nn.Module`` (eager, TorchScript or an exported program's module) in eval mode.

    Parameters
    ----------
    module : torch.nn.Module
        Takes a float32 tensor (n, n_inputs) for tabular data or (n, C, H, W) for images and returns
        (n, n_outputs): logits (default) or probabilities, one column per class; a single column for
        regression or for the positive class of a binary model.
    task : {"binary", "multiclass", "regression"}
    classes : sequence, optional
        Class labels in the order of the output columns; required for classification.
    positive_class : optional
        Default: the last class of a binary model.
    feature_names : sequence of str, optional
        The DataFrame columns the model (or its preprocessor) takes, in order.
    preprocessor : fitted sklearn transformer, optional
        Turns the DataFrame into the model's numeric input (one-hot encoding, scaling).
    input_kind : {"tabular", "image"}
    output : {"logits", "probabilities"}
    batch_size : int
        Rows per forward pass when predicting.
    device : str, optional
        Default ``"cuda"`` when available, else ``"cpu"``.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2))
    >>> model = TorchAdapter(net, task="binary", classes=[0, 1], feature_names=["a", "b"])
    >>> model.predict_proba(pd.DataFrame({"a": [0.0], "b": [1.0]})).shape
    (1, 2)
    """

    framework = "torch"

    def __init__(self, module, *, task, classes=None, positive_class=None, feature_names=None,
                 preprocessor=None, input_kind="tabular", input_shape=None, output="logits", batch_size=4096,
                 device=None, name=None, sha256=None):
        torch = require("torch", extra="torch", purpose="Auditing a PyTorch model")
        if task not in TASKS:
            raise InvalidInputError(f"task must be one of {list(TASKS)} for a PyTorch model; got {task!r}.")
        if task != "regression" and (classes is None or len(classes) < 2):
            raise InvalidInputError(
                f"A PyTorch {task} model needs its class labels in output order, e.g. classes=['bad', 'good']; got {classes!r}."
            )
        if output not in ("logits", "probabilities"):
            raise InvalidInputError(f"output must be 'logits' or 'probabilities'; got {output!r}.")
        if input_kind not in ("tabular", "image"):
            raise InvalidInputError(f"input_kind must be 'tabular' or 'image'; got {input_kind!r}.")
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.module = _prepared(module, self.device)
        self.task = task
        self.classes = None if classes is None else tuple(classes)
        self.positive_class = positive_class if positive_class is not None else (
            self.classes[-1] if task == "binary" else None)
        if task == "binary" and self.positive_class not in self.classes:
            raise InvalidInputError(f"positive_class {positive_class!r} is not one of the classes {list(self.classes)}.")
        self.feature_names = None if feature_names is None else tuple(feature_names)
        self._preprocessor = preprocessor
        self.input_kind = input_kind
        self.input_shape = None if input_shape is None else tuple(int(d) for d in input_shape)
        self.output_kind = output
        self.batch_size = batch_size
        self.name = name or type(module).__name__
        self.sha256 = sha256
        self.has_proba = task != "regression"
        self.has_gradients = True

    @property
    def preprocessor(self):
        return self._preprocessor

    def column_groups(self) -> list[ColumnGroup] | None:
        if self._preprocessor is None or self.feature_names is None:
            return None
        try:
            out_names = [str(n) for n in self._preprocessor.get_feature_names_out()]
        except Exception:
            return None
        return group_columns_by_feature(out_names, self.feature_names)

    def model_input(self, X) -> np.ndarray:
        """The float32 array the module takes: the preprocessed table, or the images as given."""
        if self.input_kind == "image":
            images = np.ascontiguousarray(X, dtype=np.float32)
            if self.input_shape is not None and tuple(images.shape[1:]) != self.input_shape:
                raise InvalidInputError(
                    f"The model '{self.name}' takes images of shape {self.input_shape} (channels, height, width); "
                    f"the data holds {tuple(images.shape[1:])}. Resize or reorder the images to N x C x H x W."
                )
            return images
        if isinstance(X, pd.DataFrame):
            X = self.select_features(X)
            if self._preprocessor is not None:
                X = self._preprocessor.transform(X)
        if hasattr(X, "toarray"):
            X = X.toarray()
        return np.ascontiguousarray(X, dtype=np.float32)

    def forward(self, inputs):
        """Differentiable outputs for a batch of model-input tensors: class probabilities (n, k),
        or values (n,) for regression. This is the function Captum attributes."""
        torch = require("torch", extra="torch", purpose="Auditing a PyTorch model")
        raw = self.module(inputs)
        if raw.ndim == 1:
            raw = raw[:, None]
        if self.task == "regression":
            return raw[:, 0]
        if raw.shape[1] == 1 and self.task == "binary":
            positive = torch.sigmoid(raw[:, 0]) if self.output_kind == "logits" else raw[:, 0]
            columns = [1 - positive, positive] if self.positive_index == 1 else [positive, 1 - positive]
            return torch.stack(columns, dim=1)
        return torch.softmax(raw, dim=1) if self.output_kind == "logits" else raw

    def _forward_numpy(self, X) -> np.ndarray:
        torch = require("torch", extra="torch", purpose="Auditing a PyTorch model")
        inputs = self.model_input(X)
        chunks = []
        with torch.no_grad():
            for start in range(0, len(inputs), self.batch_size):
                batch = torch.from_numpy(inputs[start:start + self.batch_size]).to(self.device)
                chunks.append(self.forward(batch).detach().cpu().numpy())
        if not chunks:
            return np.zeros((0,) if self.task == "regression" else (0, len(self.classes)))
        result = np.concatenate(chunks).astype(float)
        if self.task != "regression" and result.shape[1] != len(self.classes):
            raise ModelError(
                f"The PyTorch model '{self.name}' returns {result.shape[1]} outputs per row for "
                f"{len(self.classes)} classes {list(self.classes)}."
            )
        if self.task != "regression":
            sums = result.sum(axis=1, keepdims=True)
            if not np.allclose(sums, 1.0, atol=1e-4):
                raise ModelError(
                    f"The PyTorch model '{self.name}' was declared to output probabilities, but its rows sum to "
                    f"between {sums.min():.4g} and {sums.max():.4g}; declare output='logits' if it returns scores."
                )
            # float32 probabilities sum to one only to about 1e-7; renormalised in float64 they do.
            result /= sums
        return result

    def _predict(self, X) -> np.ndarray:
        result = self._forward_numpy(X)
        if self.task == "regression":
            return result
        return np.asarray(self.classes, dtype=object)[result.argmax(axis=1)].astype(
            np.asarray(self.classes).dtype)

    def _predict_proba(self, X) -> np.ndarray:
        return self._forward_numpy(X)


def _prepared(module, device):
    """The module on ``device`` in eval mode. A ``torch.export`` program's module keeps the mode it
    was exported in and refuses ``eval()``; that is the mode it runs in."""
    if device != "cpu":
        module = module.to(device)
    try:
        module.eval()
    except NotImplementedError:
        pass
    return module
