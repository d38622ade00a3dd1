"""A finding's message states what was observed against the line, never what the rule hopes for."""

from hypothesis import given, settings
from hypothesis import strategies as st

from xai_audit.checks import evaluate
from xai_audit.checks.common import make_finding
from xai_audit.policy import Rule, load_policy

HOPEFUL = ("is similar", "are similar", "are mostly known", "agree on", "do not change", "add up to",
           "point at", "separates the outcomes", "are calibrated")


def test_an_accuracy_gap_beyond_its_line_says_so():
    sections = {"performance": {"by_group": {"sex": {"f": {"n": 100, "accuracy": 0.7},
                                                      "m": {"n": 100, "accuracy": 0.867}}}}}
    (finding,) = [f for f in evaluate(load_policy("default"), sections) if f.check == "performance_gap"]
    assert finding.status == "fail"
    assert "0.167" in finding.message and "above the line of at most 0.15" in finding.message
    assert "similar" not in finding.message


def test_bundled_rule_titles_name_what_is_measured():
    for rule in load_policy("default").rules:
        assert not any(phrase in rule.title.lower() for phrase in HOPEFUL), rule.title


def test_a_point_beyond_the_line_with_an_interval_reaching_back_is_not_established():
    rule = Rule(id="ff", check="four_fifths", metric="impact_ratio", direction="above", threshold=0.8)
    finding = make_finding(rule, "ff.f", 0.7, "Impact ratio", interval=(0.55, 0.95))
    assert finding.status == "warn"
    assert "below the line of at least 0.8, not statistically established" in finding.message


values = st.floats(-10, 10, allow_nan=False).map(lambda v: round(v, 4))


@settings(max_examples=200, deadline=None)
@given(value=values, line=values, direction=st.sampled_from(["above", "below"]),
       interval=st.one_of(st.none(), st.tuples(values, values).map(sorted)))
def test_the_message_places_the_value_on_the_side_of_the_line_it_is(value, line, direction, interval):
    rule = Rule(id="r", check="performance", metric="m", direction=direction, threshold=line)
    finding = make_finding(rule, "r", value, "Value", interval=interval)
    beyond = value < line if direction == "above" else value > line
    word = "below" if direction == "above" else "above"
    tail = finding.message.split("; ", 1)[1]
    if beyond and abs(value - line) > 1e-9:
        assert tail.startswith(f"{word} the line"), finding.message
        assert finding.status != "pass"
    else:
        assert tail.startswith("within the line"), finding.message
    if finding.status == "fail":
        assert tail.startswith(f"{word} the line") or f"the whole interval is {word} it" in tail, finding.message
    if finding.status == "pass":
        assert "interval" not in tail and "warning" not in tail
