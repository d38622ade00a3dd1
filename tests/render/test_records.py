"""The golden records are what build_records.py produces: rebuilt here and compared by behaviour.

Numbers agree to a relative 1e-9, strings exactly; the manifest's creation time and package versions
are ignored. A record edited by hand (a wrong TPR, a finding its numbers do not support) fails.
"""

import importlib.util
import json
import math

import pytest
from render_helpers import RECORDS, load_record

IGNORED = {("manifest", "created_at"), ("manifest", "packages")}


def _builder():
    spec = importlib.util.spec_from_file_location("build_records", RECORDS / "build_records.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def differences(expected, actual, path=()):
    """Paths where ``actual`` differs from ``expected``: numbers beyond a relative 1e-9, anything else
    not equal."""
    if path[:2] in IGNORED:
        return []
    if isinstance(expected, dict) and isinstance(actual, dict):
        keys = set(expected) | set(actual)
        return [d for k in sorted(keys, key=str)
                for d in (differences(expected[k], actual[k], path + (k,)) if k in expected and k in actual
                          else [path + (k,)])]
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [path]
        return [d for i, (e, a) in enumerate(zip(expected, actual)) for d in differences(e, a, path + (i,))]
    numbers = (int, float)
    if isinstance(expected, numbers) and isinstance(actual, numbers) and not isinstance(expected, bool) \
            and not isinstance(actual, bool):
        return [] if math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-12) else [path]
    return [] if expected == actual and type(expected) is type(actual) else [path]


@pytest.mark.parametrize("name", ["full", "minimal", "image"])
def test_the_committed_record_is_what_the_builder_produces(name):
    module = _builder()
    rebuilt = json.loads(module.as_json(module.BUILDERS[name]()))
    assert differences(rebuilt, load_record(name)) == []


def test_a_hand_edited_number_is_caught():
    record = load_record("full")
    edited = json.loads(json.dumps(record))
    group = next(iter(edited["fairness"]["sex"]["groups"].values()))
    group["tpr"] = group["tpr"] + 0.01
    assert differences(record, edited) != []
    assert differences(record, {**record, "manifest": {**record["manifest"], "created_at": "another day"}}) == []
