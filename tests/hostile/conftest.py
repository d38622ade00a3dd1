"""A small workspace of careless and hostile inputs shared by the hostile-input catalogue."""

import numpy as np
import pandas as pd
import pytest


def write_inputs(folder):
    """A clean predictions-only CSV, and next to it the broken variants the catalogue feeds in."""
    rng = np.random.default_rng(0)
    n = 240
    frame = pd.DataFrame({"x": rng.normal(size=n), "sex": rng.choice(["F", "M"], n),
                          "age": rng.integers(18, 80, n), "y": rng.integers(0, 2, n)})
    frame["p"] = (frame["x"] > 0).astype(int)
    frame.to_csv(folder / "data.csv", index=False)
    (folder / "dup.csv").write_text("x,sex,sex,y,p\n" + "".join(f"{a:.3f},F,M,{b},{c}\n" for a, b, c in
                                                                 zip(frame.x, frame.y, frame.p)))
    (folder / "afolder").mkdir()
    (folder / "afile").write_text("not a folder")
    (folder / "self.toml").write_text('extends = "self.toml"\n')
    (folder / "a.toml").write_text('extends = "b.toml"\n')
    (folder / "b.toml").write_text('extends = "a.toml"\n')
    (folder / "model.pkl").write_bytes(b"\x80\x04N.")
    return folder


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return write_inputs(tmp_path_factory.mktemp("hostile"))
