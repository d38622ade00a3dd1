"""tools/import_graph.py on small made-up trees, and the layering it shows for the explainers,
adapters and record layers of this one."""

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("import_graph", ROOT / "tools" / "import_graph.py")
import_graph = sys.modules.setdefault("import_graph", importlib.util.module_from_spec(spec))
spec.loader.exec_module(import_graph)


def write_tree(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


@pytest.fixture
def tree(tmp_path):
    write_tree(tmp_path, {
        "xai_audit/__init__.py": "from xai_audit.top import run\n",
        "xai_audit/top.py": "from xai_audit.low import helpers\n\ndef run():\n    pass\n",
        "xai_audit/low/__init__.py": "",
        "xai_audit/low/helpers.py": """\
            from typing import TYPE_CHECKING
            from . import sibling
            from .sibling import thing
            if TYPE_CHECKING:
                from ..typing_only import T

            def late():
                from xai_audit import top
                return top
            """,
        "xai_audit/low/sibling.py": "import os\nimport numpy as np\nthing = 1\n",
        "xai_audit/typing_only.py": "T = int\n",
        "xai_audit/long.py": "x = 1\n" * 12,
        "apps/streamlit_app.py": "from audit_app import state\nimport xai_audit as xa\n",
        "apps/audit_app/__init__.py": "",
        "apps/audit_app/state.py": "from ..audit_app import other\n",
        "apps/audit_app/other.py": "",
    })
    return tmp_path


def test_edges_resolve_relative_submodule_and_function_level_imports(tree):
    graph, lines = import_graph.build_graph(tree)
    assert set(graph) == {"xai_audit", "xai_audit.top", "xai_audit.low", "xai_audit.low.helpers",
                          "xai_audit.low.sibling", "xai_audit.typing_only", "xai_audit.long",
                          "streamlit_app", "audit_app", "audit_app.state", "audit_app.other"}
    helpers = graph["xai_audit.low.helpers"]
    assert set(helpers) == {"xai_audit.low.sibling", "xai_audit.typing_only", "xai_audit.top"}
    assert sorted(i.line for i in helpers["xai_audit.low.sibling"]) == [2, 3]
    assert [(i.line, i.module_level) for i in helpers["xai_audit.top"]] == [(8, False)]
    assert helpers["xai_audit.typing_only"][0].module_level
    assert set(graph["xai_audit.top"]) == {"xai_audit.low.helpers"}  # the submodule, not the package above
    assert set(graph["xai_audit"]) == {"xai_audit.top"}  # "from xai_audit.top import run": the module
    assert set(graph["xai_audit.low.sibling"]) == set()  # third-party and standard library left out
    assert set(graph["streamlit_app"]) == {"audit_app.state", "xai_audit"}
    assert set(graph["audit_app.state"]) == {"audit_app.other"}
    assert lines["xai_audit.long"] == 12


def test_a_function_level_import_closes_a_cycle(tree):
    graph, _ = import_graph.build_graph(tree)
    components = import_graph.strongly_connected(graph)
    assert components == [["xai_audit.low.helpers", "xai_audit.top"]]
    assert import_graph.shortest_cycle(graph, components[0]) == [
        "xai_audit.low.helpers", "xai_audit.top", "xai_audit.low.helpers"]
    text, problems = import_graph.report(tree, max_lines=10)
    assert problems
    assert "Import cycles: 1" in text
    assert "e.g. xai_audit.low.helpers -(8*)-> xai_audit.top -(1)-> xai_audit.low.helpers" in text
    assert "Modules over 10 lines: 1\n  xai_audit.long: 12 lines" in text


def test_no_cycle_and_no_long_module_is_a_clean_exit(tree, capsys):
    (tree / "xai_audit/low/helpers.py").write_text("from . import sibling\n")
    assert import_graph.main(["--root", str(tree), "--max-lines", "12"]) == 0
    out = capsys.readouterr().out
    assert "Import cycles: none" in out and "Modules over 12 lines: none" in out
    assert import_graph.main(["--root", str(tree), "--max-lines", "11"]) == 1


def test_three_module_cycle_is_one_component(tmp_path):
    write_tree(tmp_path, {"xai_audit/__init__.py": "", "xai_audit/a.py": "from xai_audit import b\n",
                          "xai_audit/b.py": "import xai_audit.c\n", "xai_audit/c.py": "from . import a\n",
                          "xai_audit/d.py": "from xai_audit import a\n", "apps/x.py": ""})
    graph, _ = import_graph.build_graph(tmp_path)
    assert import_graph.strongly_connected(graph) == [["xai_audit.a", "xai_audit.b", "xai_audit.c"]]


# -- this repository -------------------------------------------------------------------------------------

UPPER_LAYERS = ("xai_audit.audit", "xai_audit.checks", "xai_audit.result", "xai_audit.render", "xai_audit.cli",
                "xai_audit.commands", "xai_audit.batch", "xai_audit.spec")
# explainers/findings.py holds policy checks and moves to the checks layer; until then it imports upward.
MOVING_OUT: set = set()


def test_explainers_and_adapters_import_nothing_above_them():
    graph, _ = import_graph.build_graph(ROOT)
    upward = {(importer, imported) for importer, targets in graph.items() for imported in targets
              if importer.startswith(("xai_audit.explainers", "xai_audit.adapters")) and importer not in MOVING_OUT
              and imported.startswith(UPPER_LAYERS)}
    assert upward == set()


def test_no_cycle_through_the_explainers_adapters_result_or_diff():
    graph, _ = import_graph.build_graph(ROOT)
    mine = ("xai_audit.explainers", "xai_audit.adapters", "xai_audit.result", "xai_audit.diff")
    assert [c for c in import_graph.strongly_connected(graph) if any(m.startswith(mine) for m in c)] == []


def test_the_explainer_and_adapter_modules_stay_short():
    _, lines = import_graph.build_graph(ROOT)
    long = {m: n for m, n in lines.items() if m.startswith(("xai_audit.explainers", "xai_audit.adapters")) and n > 500}
    assert long == {}
