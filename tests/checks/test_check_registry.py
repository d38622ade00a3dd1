"""The check registry is one explicit mapping: nothing registers itself as a side effect of an import."""

import ast
import json
import subprocess
import sys
from pathlib import Path

from xai_audit.checks import CHECKS
from xai_audit.policy import BUNDLED_POLICIES, load_policy

PACKAGE = Path(__file__).resolve().parents[2] / "xai_audit"


def test_evaluate_works_in_a_fresh_interpreter_that_imported_nothing_else():
    script = (
        "import json, sys\n"
        "from xai_audit.checks import evaluate\n"
        "from xai_audit.policy import load_policy\n"
        "sections = {'explanations': {'shap': {'quality': {'additivity_error': 1e-12, 'stability': 0.3}},\n"
        "            'agreement': {'pairs': [{'methods': ['shap', 'lime'], 'spearman': 0.9, 'k': 3}]}}}\n"
        "print(json.dumps({f.id: f.status for f in evaluate(load_policy('default'), sections)}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=PACKAGE.parent)
    assert done.returncode == 0, done.stderr
    statuses = json.loads(done.stdout.strip().splitlines()[-1])
    assert statuses["explanations.additivity.shap"] == "pass"
    assert statuses["explanations.stability.shap"] == "fail"
    assert statuses["explanations.agreement.shap-lime"] == "pass"


def test_every_check_a_bundled_policy_names_is_listed():
    named = {rule.check for name in BUNDLED_POLICIES for rule in load_policy(name).rules}
    assert named <= set(CHECKS)
    assert all(callable(function) for function in CHECKS.values())


def _imports(path: Path) -> set:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_module_below_the_checks_imports_them_and_nothing_registers_checks():
    for path in sorted((PACKAGE / "explainers").rglob("*.py")) + sorted((PACKAGE / "fairness").rglob("*.py")):
        assert not any(m == "xai_audit.checks" or m.startswith("xai_audit.checks") for m in _imports(path)), path
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert "def register" not in source and "@register" not in source, path
