"""Model adapters: one interface over scikit-learn, XGBoost, LightGBM, PyTorch and predictions columns."""

from xai_audit.adapters.base import ColumnGroup, ModelAdapter
from xai_audit.adapters.loading import load_model
from xai_audit.adapters.predictions import PredictionsAdapter
from xai_audit.adapters.sklearn import SklearnAdapter

__all__ = ["ColumnGroup", "ModelAdapter", "PredictionsAdapter", "SklearnAdapter", "load_model"]
