"""The chart work as ported into the split section modules (render/sections/): reviewer examples,
bars that add up, unsigned magnitudes that claim no sum, gallery captions and signed-bar legends."""

import hypothesis.strategies as st
from hypothesis import given, settings

from xai_audit.render.charts import ChartBook
from xai_audit.render.context import Context
from xai_audit.render.sections.explain_local import LOCAL_EXAMPLES, _sample_caption, chosen_examples, local_blocks
from xai_audit.render.sections.fairness_attribution import attribution_blocks

FEATURES = [f"f{j}" for j in range(12)]


def _ctx():
    return Context(record={"data": {"features": FEATURES}}, charts=ChartBook(enabled=False))


def _local(values, examples=None):
    n = len(values)
    local = {"rows": list(range(100, 100 + n)), "feature_names": FEATURES, "values": values,
             "base_values": [0.5] * n, "output": [0.5 + sum(v) for v in values]}
    if examples is not None:
        local["examples"] = examples
    return local


rows_of_values = st.lists(st.lists(st.floats(-5, 5, allow_nan=False), min_size=12, max_size=12), min_size=1, max_size=6)


@settings(max_examples=25, deadline=None)
@given(values=rows_of_values, data=st.data())
def test_signed_local_bars_add_up_to_output_minus_base_for_the_chosen_rows(values, data):
    picks = data.draw(st.lists(st.integers(0, len(values) - 1), unique=True, max_size=LOCAL_EXAMPLES))
    examples = [{"index": k, "reason_chosen": f"case {k}"} for k in picks]
    (grid,) = local_blocks(_ctx(), "SHAP", _local(values, examples), "", scale="log-odds")
    charts = [b["chart"] for b in grid["blocks"]]
    shown = picks or list(range(min(LOCAL_EXAMPLES, len(values))))
    assert len(charts) == len(shown)
    for chart, k in zip(charts, shown):
        assert f"row {100 + k}" in chart.title
        assert abs(sum(chart.values) - sum(values[k])) < 1e-9  # the 'other features' bar holds the rest
        assert len(chart.values) <= 9
        assert (f"Chosen as case {k}." in chart.reading) if picks else ("one of the first explained rows" in chart.reading)


def test_unsigned_local_bars_claim_no_sum_and_speak_of_size():
    values = [[float(j) for j in range(12)]]
    (grid,) = local_blocks(_ctx(), "Saliency", _local(values), "", scale="unsigned magnitude", unsigned=True)
    chart = grid["blocks"][0]["chart"]
    assert chart.values == tuple(float(v) for v in range(11, 3, -1))  # the 8 largest, no 'other' bar
    assert "add up" not in chart.reading and "most sensitive to f11" in chart.reading
    assert " up " not in chart.reading and " down " not in chart.reading


def test_chosen_examples_drop_indices_outside_the_explained_rows():
    out = chosen_examples({"examples": [{"index": 7}, {"index": -1}, {"index": 1, "reason_chosen": "r"}]}, 3)
    assert out == [{"index": 1, "reason_chosen": "r"}]


def test_gallery_caption_says_misclassified_from_the_labels():
    assert _sample_caption({"row": 4, "true_label": 3, "predicted_label": 8}, 0).endswith("MISCLASSIFIED")
    assert _sample_caption({"row": 4, "true_label": 3, "predicted_label": 3}, 0).endswith(", correct")
    assert _sample_caption({"row": 4, "true_label": 3, "predicted_label": 3, "correct": False}, 0).endswith("MISCLASSIFIED")
    assert "correct" not in _sample_caption({"row": 4}, 0).lower()


def test_disparity_bars_name_the_groups_in_their_legend():
    table = {"reference_group": "m", "output_space": "log_odds",
             "groups": {"m": {}, "f": {"contributions": {"income": -0.3, "debt": 0.1}, "output_difference": -0.2}}}
    book = ChartBook()
    ctx = Context(record={"data": {}}, charts=book)
    blocks = attribution_blocks(ctx, "sex", "disparity_attribution", table, {"f": "woman", "m": "man"})
    svg = str(blocks[0]["chart"].svg)
    assert "raises woman&#39;s mean log-odds against man" in svg or "raises woman's mean log-odds against man" in svg
    assert "lowers woman" in svg
    assert blocks[0]["chart"].values == (-0.3, 0.1)
