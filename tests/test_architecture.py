"""The shape of the code, read from the code (``tools/import_graph.py``): layers that only point down,
no import cycle, the app on the public API and the run spec alone, and no module over 500 lines.

The layers, lowest first; a module may import from its own layer and the layers below it. The
record (``result``, ``diff``) sits below the audit that builds it, and the renderer below the record
it renders (it reads record dicts only, so ``AuditResult.save_html`` points down into it).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("import_graph", ROOT / "tools" / "import_graph.py")
import_graph = sys.modules.setdefault("import_graph", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(import_graph)

LAYERS = [
    ("foundation", ("xai_audit._version", "xai_audit.exceptions", "xai_audit._optional", "xai_audit._toml",
                    "xai_audit._io", "xai_audit._json", "xai_audit.numbers", "xai_audit.manifest",
                    "xai_audit.model_card", "xai_audit.policy", "xai_audit.policies", "xai_audit.schemas",
                    "xai_audit.parallel")),
    ("adapters and data", ("xai_audit.adapters", "xai_audit.data")),
    ("statistics", ("xai_audit.stats",)),
    ("analyses", ("xai_audit.explainers", "xai_audit.performance", "xai_audit.fairness", "xai_audit.drift",
                  "xai_audit.reasons", "xai_audit.recourse", "xai_audit.challenger",
                  "xai_audit.summaries")),
    ("checks", ("xai_audit.checks",)),
    ("render", ("xai_audit.render", "xai_audit.templates", "xai_audit.gate")),
    ("record", ("xai_audit.result", "xai_audit.diff", "xai_audit.drift_result")),
    ("audit", ("xai_audit.audit", "xai_audit.monitoring", "xai_audit.scale")),
    ("run spec", ("xai_audit.spec", "xai_audit._spec_inputs", "xai_audit._spec_toml", "xai_audit._spec_scale")),
    ("public API", ("xai_audit",)),
    ("front ends", ("xai_audit.cli", "xai_audit.batch", "audit_app", "views", "streamlit_app")),
]
APP_PREFIXES = ("audit_app", "views", "streamlit_app")
MAX_LINES = 500


def layer_of(module: str) -> int | None:
    """The index of the layer whose longest prefix names ``module``; None for an unlisted module."""
    best = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    return None if best is None else best[0]


def _graph():
    return import_graph.build_graph(ROOT)


def test_every_module_belongs_to_a_layer():
    graph, _ = _graph()
    assert sorted(m for m in graph if layer_of(m) is None) == []


def test_no_import_points_up_a_layer():
    graph, _ = _graph()
    upward = sorted(f"{a} ({LAYERS[layer_of(a)][0]}) -> {b} ({LAYERS[layer_of(b)][0]})"
                    for a, targets in graph.items() for b in targets if layer_of(b) > layer_of(a))
    assert upward == []


def test_there_is_no_import_cycle():
    graph, _ = _graph()
    assert import_graph.strongly_connected(graph) == []


def test_the_app_uses_only_the_public_api_and_the_run_spec():
    graph, _ = _graph()
    allowed = {"xai_audit", "xai_audit.spec"}
    reached = sorted(f"{a} -> {b}" for a, targets in graph.items() if a.startswith(APP_PREFIXES)
                     for b in targets if b.startswith("xai_audit") and b not in allowed)
    assert reached == []


def test_no_module_is_longer_than_the_limit():
    _, lines = _graph()
    assert {m: n for m, n in lines.items() if n > MAX_LINES} == {}


def test_the_layer_check_catches_an_upward_import(tmp_path):
    """The check itself can fail: a made-up tree where the data layer imports the audit."""
    (tmp_path / "xai_audit" / "data").mkdir(parents=True)
    (tmp_path / "apps").mkdir()
    (tmp_path / "xai_audit" / "__init__.py").write_text("")
    (tmp_path / "xai_audit" / "audit.py").write_text("")
    (tmp_path / "xai_audit" / "data" / "__init__.py").write_text("")
    (tmp_path / "xai_audit" / "data" / "dataset.py").write_text("def f():\n    from xai_audit.audit import Audit\n")
    graph, _ = import_graph.build_graph(tmp_path)
    upward = [(a, b) for a, targets in graph.items() for b in targets if layer_of(b) > layer_of(a)]
    assert upward == [("xai_audit.data.dataset", "xai_audit.audit")]
