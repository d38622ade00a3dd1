"""Arrays reach the record through numpy, and the record's text through the C JSON encoder: the
results must equal the element-by-element conversion they replace."""

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from xai_audit._json import LONG_LIST, dumps_record
from xai_audit.explainers.section import plain_array, to_plain


def _old_to_plain(value):
    """The conversion before: every element through to_plain (lists are walked one by one)."""
    return to_plain(np.asarray(value).tolist())


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(dtype=st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.bool_]),
                  shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=30)))
def test_plain_array_equals_the_element_by_element_conversion(array):
    fast = plain_array(array)
    assert fast == _old_to_plain(array)
    assert json.dumps(fast, allow_nan=False)  # NaN and infinity became None


def test_plain_array_turns_every_non_finite_cell_into_none_and_keeps_the_rest():
    array = np.array([[0.25, np.nan, -1.0], [np.inf, 2.0, -np.inf]])
    assert plain_array(array) == [[0.25, None, -1.0], [None, 2.0, None]]
    assert to_plain({"v": array, "n": np.float32(0.5)}) == {"v": [[0.25, None, -1.0], [None, 2.0, None]], "n": 0.5}


json_leaves = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                        st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))
json_values = st.recursive(json_leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=2 * LONG_LIST), st.dictionaries(st.text(max_size=6), inner, max_size=5)), max_leaves=200)


@settings(max_examples=80, deadline=None)
@given(json_values)
def test_dumps_record_parses_to_the_same_record_as_indented_json(record):
    text = dumps_record(record)
    assert json.loads(text) == json.loads(json.dumps(record, indent=2, sort_keys=True))


def test_dumps_record_keeps_short_structures_indented_and_long_lists_on_one_line():
    record = {"values": [[0.5, -0.25]] * (LONG_LIST + 1), "meta": {"output_space": "probability"}}
    lines = dumps_record(record).splitlines()
    assert '  "meta": {' in lines and '    "output_space": "probability"' in lines
    assert lines[-2].startswith('  "values": [[') and json.loads(lines[-2].split(": ", 1)[1]) == record["values"]


def test_a_string_that_looks_like_a_placeholder_is_left_alone():
    record = {"a": "@@xai-audit-0", "b": list(range(LONG_LIST + 1))}
    assert json.loads(dumps_record(record)) == record


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(allow_infinity=False), st.integers(-5, 5), st.sampled_from(["a", "b", None]),
                          st.booleans()), min_size=1, max_size=25))
def test_frame_cells_equal_the_element_by_element_conversion(rows):
    import pandas as pd

    from xai_audit.explainers.section import _plain_rows

    frame = pd.DataFrame(rows, columns=["amount", "count", "kind", "flag"])
    frame["level"] = pd.Categorical(frame["kind"])
    old = to_plain(frame.astype(object).where(frame.notna(), None).to_numpy().tolist())
    assert to_plain({"data": _plain_rows(frame)})["data"] == old
