"""Every public name of ``xai_audit`` has a numpydoc docstring with a runnable Examples section whose
output is checked, and every example passes (the class's own methods' examples included)."""

import doctest
import inspect

import pytest

import xai_audit

PUBLIC = [name for name in xai_audit.__all__ if name != "__version__"]
# Examples that hold for any outcome check nothing: an audit's status is always one of these.
WEAK = ('in ("pass", "warn", "fail")', "in ('pass', 'warn', 'fail')")


def _doctests(name):
    obj = getattr(xai_audit, name)
    finder = doctest.DocTestFinder()
    return [test for test in finder.find(obj, name, module=inspect.getmodule(obj)) if test.examples]


@pytest.mark.parametrize("name", PUBLIC)
def test_the_public_name_has_an_examples_section_that_checks_an_output(name):
    doc = inspect.getdoc(getattr(xai_audit, name)) or ""
    assert "Examples\n--------" in doc, f"{name}: no numpydoc Examples section"
    own = [test for test in _doctests(name) if test.name == name]
    assert own, f"{name}: the Examples section has no runnable example"
    wanted = [example for example in own[0].examples if example.want.strip()]
    assert wanted, f"{name}: no example states an expected output, so none can fail"
    assert not any(weak in example.source for example in own[0].examples for weak in WEAK), (
        f"{name}: an example checks only that a status is one of the three statuses")


@pytest.mark.parametrize("name", PUBLIC)
def test_the_public_examples_pass(name):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in _doctests(name):
        runner.run(test, clear_globs=True)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed (see the output above)"


def test_a_wrong_expected_output_fails():
    """The runner used above does fail: an example whose stated output is wrong."""
    parser = doctest.DocTestParser()
    test = parser.get_doctest(">>> xai_audit.format_number(0.5)\n'0.499'\n", {"xai_audit": xai_audit}, "planted",
                              None, 0)
    runner = doctest.DocTestRunner()
    runner.run(test, out=lambda text: None)
    assert runner.summarize(verbose=False).failed == 1
