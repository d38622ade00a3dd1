"""The record as JSON: ``json_copy`` gives what a round trip gives (it replaces that round trip before
rendering), and ``dumps_record`` writes text that parses to the record, refusing what ``json`` refuses."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xai_audit._json import LONG_LIST, dumps_record, json_copy

keys = st.one_of(st.text(max_size=5), st.integers(-5, 5), st.booleans(), st.none(),
                 st.floats(allow_nan=False, allow_infinity=False))
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=8),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.floats(allow_nan=False, allow_infinity=False).map(np.float64))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=6), st.lists(inner, max_size=6).map(tuple),
    st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=40),
    st.dictionaries(st.text(max_size=5), inner, max_size=5)), max_leaves=30)


def round_trip(value, **options):
    return json.loads(json.dumps(value, allow_nan=False, **options))


@settings(max_examples=300, deadline=None)
@given(values, st.booleans())
def test_equals_the_round_trip(value, sort_keys):
    copied = json_copy(value, sort_keys=sort_keys)
    expected = round_trip(value, sort_keys=sort_keys)
    assert copied == expected
    assert json.dumps(copied) == json.dumps(expected)  # same types and the same key order


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(keys, scalars, max_size=6))
def test_keys_are_written_as_json_writes_them(value):
    if len({type(k) for k in value}) > 1:
        return  # mixed key types cannot be sorted, by either
    assert json.dumps(json_copy(value, sort_keys=True)) == json.dumps(round_trip(value, sort_keys=True))


def test_other_objects_go_through_default_or_are_refused():
    value = {"when": np.datetime64("2026-01-01"), "count": np.int64(3), "flag": np.bool_(True)}
    assert json_copy(value, default=str) == round_trip(value, default=str)
    with pytest.raises(TypeError):
        json_copy(value)


@pytest.mark.parametrize("bad", [math.nan, math.inf, [1.0, math.nan], {"a": (0.5, -math.inf)}, np.float64("nan"),
                                 ["a", None, 2, math.nan], [10**400, math.inf]])
def test_non_finite_numbers_are_refused_as_json_refuses_them(bad):
    with pytest.raises(ValueError):
        json.dumps(bad, allow_nan=False)
    with pytest.raises(ValueError):
        json_copy(bad)


def test_finite_numbers_whose_sum_overflows_are_kept():
    assert json_copy([1e308, 1e308, -1.0, 10**400]) == [1e308, 1e308, -1.0, 10**400]


def test_the_copy_shares_nothing_mutable():
    inner = [1.0, 2.0]
    record = {"a": {"b": inner}, "c": [inner]}
    copied = json_copy(record)
    copied["a"]["b"].append(3.0)
    copied["c"][0][0] = 9.0
    assert record == {"a": {"b": [1.0, 2.0]}, "c": [[1.0, 2.0]]}


long_floats = st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=LONG_LIST + 1, max_size=80)


@settings(max_examples=100, deadline=None)
@given(st.one_of(long_floats, st.lists(long_floats, min_size=1, max_size=3),
                 st.lists(st.dictionaries(st.text(max_size=4), scalars, max_size=4), min_size=LONG_LIST + 1,
                          max_size=LONG_LIST + 3)))
def test_long_lists_parse_back_to_the_same_values(long_list):
    record = {"long": long_list}
    assert json.loads(dumps_record(record)) == json.loads(json.dumps(record, sort_keys=True))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, np.float64("nan")])
@pytest.mark.parametrize("shape", ["flat", "nested", "in_a_dict"])
def test_a_long_list_holding_nan_or_infinity_is_refused(bad, shape):
    values = [0.5] * LONG_LIST + [bad]
    long_list = {"flat": values, "nested": [values], "in_a_dict": [{"v": v} for v in values]}[shape]
    with pytest.raises(ValueError):
        json.dumps({"long": long_list}, allow_nan=False)
    with pytest.raises(ValueError):
        dumps_record({"long": long_list})


def test_what_orjson_cannot_write_is_written_by_json():
    record = {"big": [2**70] * (LONG_LIST + 1), "keys": [{1: "a"}] * (LONG_LIST + 1),
              "subclass": [np.float64(0.25)] * (LONG_LIST + 1)}
    assert json.loads(dumps_record(record)) == json.loads(json.dumps(record, sort_keys=True))
