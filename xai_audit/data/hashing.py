"""The content hash of a dataset, recorded as ``data.sha256`` in every audit record."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd


def hash_frame(frame: pd.DataFrame, images=None) -> str:
    """SHA-256 over the column names and dtypes, every value and the index (and the images, if any).

    Any changed value, renamed column or changed dtype gives another hash; the same data always the same.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1, 2]})
    >>> hash_frame(a) == hash_frame(a.copy()), hash_frame(a) == hash_frame(a.assign(x=[1, 3]))
    (True, False)
    """
    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    if images is not None:
        digest.update(np.ascontiguousarray(images).tobytes())
    return digest.hexdigest()
