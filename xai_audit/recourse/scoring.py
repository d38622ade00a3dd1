"""Fast scoring of many variants of declined cases, each differing in a few original features.

The search asks the model about thousands of variants per case. Building a DataFrame per variant and
sending it through the whole pipeline would dominate the time, so variants are built as arrays:

* :class:`EncodedCodec`, for a scikit-learn Pipeline whose preprocessor maps each original feature to
  its own output columns (a ColumnTransformer of one-hot encoders, scalers, pass-throughs): a variant
  is the case's encoded row with the changed features' columns replaced by their precomputed
  encodings, scored by the final estimator alone. It is used only after checking, on perturbed rows
  of the data, that it gives the same probabilities as the whole model (to 1e-9).
* :class:`FrameCodec`, for every other model: a variant is a row of original values, scored through
  the model adapter.

Either way the suggestions the search returns are re-scored on the model itself before anyone sees them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xai_audit.adapters.threads import prediction_threads

# Variants are scored in batches of at most this many rows.
BATCH_ROWS = 65_536
# Largest difference in probability between the encoded shortcut and the whole model that is accepted.
CODEC_TOLERANCE = 1e-9


class FrameCodec:
    """Variants as rows of original values, scored through the adapter.

    Parameters
    ----------
    adapter : ModelAdapter
    features : sequence of str
    kinds : dict
        ``feature -> "numeric" | "categorical"``; numeric columns are scored as float64.
    dtypes : dict, optional
        The data's column types, restored on the other columns before scoring.
    """

    name = "original columns through the model"

    def __init__(self, adapter, features, kinds, dtypes=None):
        self.adapter = adapter
        self.features = list(features)
        self.kinds = dict(kinds)
        self.dtypes = dict(dtypes or {})
        self.columns = {f: np.array([j]) for j, f in enumerate(self.features)}

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        """The cases as an object array, one column per feature."""
        return frame.loc[:, self.features].to_numpy(dtype=object, copy=True)

    def block(self, feature: str, values) -> np.ndarray:
        """The encoded columns of ``feature`` for each of ``values``: shape (len(values), width)."""
        out = np.empty((len(values), 1), dtype=object)
        out[:, 0] = list(values)
        return out

    def blocks(self, values_by_feature: dict) -> dict:
        """:meth:`block` of several features: ``{feature: block}``."""
        return {feature: self.block(feature, values) for feature, values in values_by_feature.items()}

    def empty(self, n_rows: int) -> np.ndarray:
        return np.empty((n_rows, len(self.features)), dtype=object)

    def score(self, encoded: np.ndarray) -> np.ndarray:
        """Approval probability of each row."""
        out = np.empty(len(encoded))
        for start in range(0, len(encoded), BATCH_ROWS):
            out[start:start + BATCH_ROWS] = self.adapter.output(self.to_frame(encoded[start:start + BATCH_ROWS]))
        return out

    def to_frame(self, encoded: np.ndarray) -> pd.DataFrame:
        frame = pd.DataFrame(encoded, columns=self.features)
        for feature in self.features:
            if self.kinds.get(feature) == "numeric":
                frame[feature] = frame[feature].astype(float)
            elif feature in self.dtypes:  # the data's own type back: a pandas Categorical keeps its categories
                frame[feature] = frame[feature].astype(self.dtypes[feature])
        return frame


class EncodedCodec:
    """Variants in the preprocessor's output space, scored by the final estimator alone.

    Build it with :func:`make_codec`, which checks it against the whole model and falls back to
    :class:`FrameCodec` where it disagrees.
    """

    name = "encoded columns through the final estimator (checked against the whole model)"

    def __init__(self, adapter, features, kinds, template: pd.DataFrame):
        self.adapter = adapter
        self.features = list(features)
        self.kinds = dict(kinds)
        self.preprocessor = adapter.preprocessor
        self.final = adapter.final_estimator
        self.positive_index = list(self.final.classes_).index(adapter.positive_class)
        groups = {g.feature: np.asarray(g.columns, dtype=int) for g in adapter.column_groups()}
        self.columns = {f: groups[f] for f in self.features}
        self.template = template.loc[:, self.features].iloc[[0]].reset_index(drop=True)
        self.width = int(sum(len(c) for c in self.columns.values()))
        numeric = [f for f in self.features if self.kinds.get(f) == "numeric"]
        probes = self._transform_blocks({feature: AFFINE_PROBE for feature in numeric})
        self._affine = {feature: _affine_fit(AFFINE_PROBE, probes[feature]) for feature in numeric}

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.preprocessor.transform(frame.loc[:, self.features]), dtype=float)

    def empty(self, n_rows: int) -> np.ndarray:
        return np.empty((n_rows, self.width))

    def block(self, feature: str, values) -> np.ndarray:
        """The encoded columns of ``feature`` for each of ``values``: shape (len(values), width)."""
        return self.blocks({feature: values})[feature]

    def blocks(self, values_by_feature: dict) -> dict:
        """:meth:`block` of several features, ``{feature: block}``, with one call of the preprocessor
        for all those whose encoding is not affine (a call costs about as much for 1 row as for 1,000)."""
        out, pending = {}, {}
        for feature, values in values_by_feature.items():
            affine = self._affine.get(feature)
            if affine is None:
                pending[feature] = values
            else:
                intercept, slope = affine
                out[feature] = intercept[None, :] + np.asarray(values, dtype=float)[:, None] * slope[None, :]
        return {**out, **self._transform_blocks(pending)}

    def score(self, encoded: np.ndarray) -> np.ndarray:
        """Approval probability of each row. Small batches run on one thread
        (:func:`~xai_audit.adapters.threads.prediction_threads`): the search asks many small
        questions, for which starting a team of OpenMP threads costs more than it saves (six times
        more on a busy two-core machine)."""
        out = np.empty(len(encoded))
        for start in range(0, len(encoded), BATCH_ROWS):
            batch = encoded[start:start + BATCH_ROWS]
            with prediction_threads(len(batch)):
                out[start:start + BATCH_ROWS] = self.final.predict_proba(batch)[:, self.positive_index]
        return out

    def _transform_blocks(self, values_by_feature: dict) -> dict:
        """Each feature's encoded columns for each of its values, through the preprocessor in one call:
        the template row repeated, each feature's values set in a slice of rows of their own (the
        preprocessor encodes a feature in columns of its own, so the other features' values there do
        not matter)."""
        sizes = [len(values) for values in values_by_feature.values()]
        if not sum(sizes):
            return {feature: np.empty((0, len(self.columns[feature]))) for feature in values_by_feature}
        rows = self.template.iloc[np.zeros(sum(sizes), dtype=int)].reset_index(drop=True)
        stops = np.cumsum(sizes)
        for (feature, values), stop, size in zip(values_by_feature.items(), stops, sizes):
            if self.kinds.get(feature) == "numeric":
                column = rows[feature].to_numpy(dtype=float, copy=True)
                column[stop - size:stop] = np.asarray(values, dtype=float)
                rows[feature] = column
            else:
                column = rows[feature].tolist()
                column[stop - size:stop] = list(values)
                rows[feature] = column
        encoded = np.asarray(self.preprocessor.transform(rows), dtype=float)
        return {feature: encoded[stop - size:stop][:, self.columns[feature]]
                for feature, stop, size in zip(values_by_feature, stops, sizes)}


# Values at which a numeric feature's encoding is tested for being affine in the value.
AFFINE_PROBE = np.array([0.0, 1.0, 7.5, -3.25])


def _affine_fit(probe: np.ndarray, encoded: np.ndarray):
    """(intercept, slope) when a feature's encodings of the values ``probe`` are affine in the value
    (a scaler, a pass-through), else None."""
    intercept, slope = encoded[0], encoded[1] - encoded[0]
    predicted = intercept[None, :] + probe[:, None] * slope[None, :]
    scale = max(1.0, float(np.abs(encoded).max()))
    return (intercept, slope) if np.allclose(predicted, encoded, rtol=0, atol=1e-12 * scale) else None


def make_codec(adapter, features, kinds, frame: pd.DataFrame, *, random_state=None):
    """The fastest codec that agrees with the model on perturbed rows of ``frame``.

    Returns
    -------
    EncodedCodec or FrameCodec

    Examples
    --------
    >>> from sklearn.compose import make_column_transformer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
    >>> from xai_audit import load_model
    >>> df = pd.DataFrame({"x": np.arange(12.0), "c": ["a", "b", "c"] * 4, "y": [0, 1] * 6})
    >>> encode = make_column_transformer((StandardScaler(), ["x"]), (OneHotEncoder(), ["c"]))
    >>> model = load_model(make_pipeline(encode, LogisticRegression()).fit(df[["x", "c"]], df["y"]))
    >>> type(make_codec(model, ["x", "c"], {"x": "numeric", "c": "categorical"}, df)).__name__
    'EncodedCodec'
    """
    frame_codec = FrameCodec(adapter, features, kinds, dtypes=frame.dtypes.to_dict())
    if getattr(adapter, "preprocessor", None) is None or not hasattr(adapter, "final_estimator"):
        return frame_codec
    try:
        groups = adapter.column_groups()
        if not groups or {g.feature for g in groups} < set(features):
            return frame_codec
        codec = EncodedCodec(adapter, features, kinds, frame)
        probe = _perturbed_rows(frame.loc[:, list(features)], random_state)
        whole = adapter.output(probe)
        encoded = codec.encode(probe.iloc[[0]]).repeat(len(probe), axis=0)
        blocks = codec.blocks({feature: probe[feature].tolist() for feature in features})
        for feature in features:
            encoded[:, codec.columns[feature]] = blocks[feature]
        if np.max(np.abs(codec.score(encoded) - whole)) <= CODEC_TOLERANCE:
            return codec
    except Exception:  # any failure of the shortcut: the whole model is always right
        return frame_codec
    return frame_codec


def _perturbed_rows(frame: pd.DataFrame, random_state, n_rows: int = 64) -> pd.DataFrame:
    """Rows whose every feature is drawn from a different row of ``frame``: combinations the data may
    not hold, as the search builds them."""
    rng = np.random.default_rng(random_state)
    picks = rng.integers(0, len(frame), size=(n_rows, frame.shape[1]))
    return pd.DataFrame({c: frame[c].to_numpy()[picks[:, j]] for j, c in enumerate(frame.columns)})


def logit(p) -> np.ndarray:
    """log(p / (1 - p)), with p clipped away from 0 and 1.

    Examples
    --------
    >>> logit([0.5, 0.75]).round(6).tolist()
    [0.0, 1.098612]
    """
    p = np.clip(np.asarray(p, dtype=float), 1e-15, 1 - 1e-15)
    return np.log(p) - np.log1p(-p)


def apply_changes(cases: pd.DataFrame, suggestions) -> pd.DataFrame:
    """The cases (rows in the order of ``suggestions``) with each suggestion's changes applied, keeping
    the columns' types (a whole-number column receiving a fraction becomes float)."""
    changed = cases.reset_index(drop=True).copy()
    for k, suggestion in enumerate(suggestions):
        for feature, _, new in (suggestion.changes if suggestion is not None else ()):
            if pd.api.types.is_integer_dtype(changed[feature]) and float(new) != int(new):
                changed[feature] = changed[feature].astype(float)
            changed.loc[k, feature] = new
    return changed


def approved_by_model(adapter, cases: pd.DataFrame, suggestions) -> np.ndarray:
    """Whether the model approves each case with its suggestion applied (False where there is none)."""
    if len(cases) == 0:
        return np.zeros(0, dtype=bool)
    decisions = adapter.predict(apply_changes(cases, suggestions))
    present = np.array([s is not None for s in suggestions], dtype=bool)
    return present & np.asarray(decisions == adapter.positive_class)
