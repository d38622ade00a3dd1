"""Pairing a model with a dataset: which columns it reads and which of its classes is favourable.

Both the audit and a single ``explain`` call check a model against the data the same way, so the
checks live here, below both of them.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from xai_audit.adapters.base import ModelAdapter
from xai_audit.adapters.predictions import PredictionsAdapter
from xai_audit.exceptions import InvalidInputError

if TYPE_CHECKING:
    from xai_audit.data import AuditDataset


def resolve_features(adapter: ModelAdapter, data: AuditDataset) -> list[str]:
    """The model's input columns: as given with the data, else as the model declares, else every
    column that is not the target, predictions or scores. Mismatches name missing and extra columns."""
    if adapter.input_kind == "image" or data.images is not None:
        if (adapter.input_kind == "image") != (data.images is not None):
            raise InvalidInputError(
                f"The model takes {adapter.input_kind} input but the data "
                f"{'holds images' if data.images is not None else 'is a table'}; pair image models with "
                "AuditDataset.from_arrays and tabular models with from_frame / from_csv."
            )
        return []
    if isinstance(adapter, PredictionsAdapter):
        return list(data.features or [])
    declared = adapter.feature_names
    if declared is not None:
        missing = [f for f in declared if f not in data.frame.columns]
        if missing:
            raise InvalidInputError(
                f"The model expects {len(declared)} input columns, and {missing} are not in the data. "
                f"Columns in the data that the model does not use: "
                f"{[c for c in data.candidate_features() if c not in declared and c not in data.sensitive]}. "
                "Rename the columns to the names the model was trained with."
            )
        if data.features is not None and list(data.features) != list(declared):
            raise InvalidInputError(
                f"features={list(data.features)} differs from the columns the model was trained on "
                f"{list(declared)}; leave features unset to use the model's own list."
            )
        return list(declared)
    return list(data.features) if data.features is not None else data.candidate_features()


def align_classes(adapter: ModelAdapter, data: AuditDataset) -> ModelAdapter:
    """Check the model's classes against the target's and set the favourable class from the data."""
    if data.target is None or isinstance(adapter, PredictionsAdapter):
        return adapter
    if (adapter.task == "regression") != (data.task == "regression"):
        raise InvalidInputError(
            f"The model does {adapter.task} but the target '{data.target}' looks like {data.task} "
            f"data; check the target column (or set task=... on the data)."
        )
    if adapter.task == "regression":
        return adapter
    model_classes = [str(c) for c in adapter.classes]
    unknown = [c for c in data.classes if str(c) not in model_classes]
    if unknown:
        raise InvalidInputError(
            f"The target '{data.target}' has labels {unknown} that the model does not predict; the model's "
            f"classes are {list(adapter.classes)}. Map the target to the model's labels first."
        )
    if adapter.task == "binary" and data.positive_label is not None:
        adapter = copy.copy(adapter)
        adapter.positive_class = adapter.classes[model_classes.index(str(data.positive_label))]
    return adapter
