"""Comparisons against the reference group folded to their distance from parity, as the fairness and
performance checks judge them."""

import pytest

from xai_audit.checks.comparisons import folded_from_parity


def test_a_ratio_above_one_is_as_far_from_parity_as_its_inverse():
    value, interval = folded_from_parity("ratio", 1.25, [1.1, 1.4])
    assert value == pytest.approx(0.8)
    assert interval == pytest.approx([1 / 1.4, 1 / 1.1])


def test_a_ratio_interval_across_parity_reaches_parity():
    value, interval = folded_from_parity("ratio", 0.8, [0.7, 1.2])
    assert value == pytest.approx(0.8) and interval == pytest.approx([0.7, 1.0])


def test_a_difference_is_folded_to_its_size():
    value, interval = folded_from_parity("difference", -0.1, [-0.2, 0.05])
    assert value == pytest.approx(0.1) and interval == pytest.approx([0.0, 0.2])
    value, interval = folded_from_parity("difference", -0.1, [-0.2, -0.05])
    assert value == pytest.approx(0.1) and interval == pytest.approx([0.05, 0.2])
