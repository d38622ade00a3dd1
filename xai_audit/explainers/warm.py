"""Compile the Tree SHAP kernels once, ahead of the first audit: ``python -m xai_audit.explainers.warm``.

The kernels (:mod:`~xai_audit.explainers._fasttree`, :mod:`~xai_audit.explainers._interventional`,
:mod:`~xai_audit.explainers._tree_paths`) are compiled by numba on first use and cached on disk
next to their source; the first compilation takes several seconds, every later process loads the
cache. ``make venv`` runs this module so that the first ``xai-audit demo`` after installing is as
quick as the next one. It explains two small tree models: one in probability space (interventional
Tree SHAP) and one in its raw output (path-dependent Tree SHAP), which between them call every kernel
with the argument types an audit passes.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd


def warm() -> float:
    """Run every compiled Tree SHAP kernel once on a tiny model; the seconds it took."""
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestRegressor

    from xai_audit.explainers.api import explain

    started = time.perf_counter()
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    label = (frame["a"] + frame["b"] > 0).astype(int)
    classifier = HistGradientBoostingClassifier(max_iter=5, random_state=0).fit(frame, label)
    explain(classifier, frame, method="shap", rows=20, random_state=0, output_space="probability")
    regressor = RandomForestRegressor(n_estimators=3, max_depth=4, random_state=0).fit(frame, frame["c"])
    explain(regressor, frame, method="shap", rows=20, random_state=0)
    return time.perf_counter() - started


if __name__ == "__main__":
    print(f"Tree SHAP kernels ready in numba's cache ({warm():.1f} s; compiled only where the cache was missing or stale)")
