"""The import graph of xai_audit/ and apps/: import cycles and modules over a line limit.

Reads every ``.py`` file with :mod:`ast` (nothing is imported or run) and records each import between
the project's own modules: at module level, inside functions and classes, and under
``if TYPE_CHECKING:`` alike, with relative imports resolved. Modules are named as Python imports
them: ``xai_audit.*`` from the repository root, and the app's ``audit_app.*``, ``views.*`` and
``streamlit_app`` from ``apps/`` (which the app puts on ``sys.path``). An import points to the module
it reads from: ``from a import b`` to ``a.b`` when that is a module, else to ``a``; the packages above
it, which Python also runs, are not counted (every module would otherwise depend on
``xai_audit/__init__.py``, which imports the public API).

Usage::

    python tools/import_graph.py [--root REPO] [--max-lines 500] [--edges]

Prints the import cycles (strongly connected components of more than one module, each with one
shortest cycle through it and the lines that close it) and the modules longer than ``--max-lines``;
``--edges`` also prints every edge. Exit code 0 when there is neither, 1 otherwise.
Standard library only, so that an architecture test can import it.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path

# (folder under the repository root, the folder module names are relative to, the modules it holds)
SOURCES = (("xai_audit", "."), ("apps", "apps"))
DEFAULT_MAX_LINES = 500


@dataclass(frozen=True)
class Import:
    """One import of a project module by another: where it is and whether it runs at import time."""

    line: int
    module_level: bool


def module_files(root: Path) -> dict[str, Path]:
    """Every project module by its dotted name, ``__init__.py`` files named after their package."""
    modules = {}
    for folder, base in SOURCES:
        for path in sorted((root / folder).rglob("*.py")):
            if any(part.startswith(".") or part == "__pycache__" for part in path.relative_to(root).parts):
                continue
            parts = list(path.relative_to(root / base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _imported_names(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """Dotted names an ``import`` or ``from ... import`` statement may refer to, relative ones resolved.

    ``from a import b`` yields ``a.b``, which resolves to the submodule ``a.b`` if there is one and
    else to ``a``.
    """
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        if node.level - 1 > len(package):
            return []
        package = package[: len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    return [f"{base}.{alias.name}" if base else alias.name for alias in node.names]


def _resolve(name: str, modules: dict) -> str | None:
    """The longest prefix of ``name`` that is a project module, or None."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def _walk(tree: ast.AST):
    """Every import statement, with whether it is at module level (not inside a def or a class)."""
    pending = [(child, True) for child in ast.iter_child_nodes(tree)]
    while pending:
        node, module_level = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, module_level
        inside = module_level and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                                        ast.Lambda))
        pending.extend((child, inside) for child in ast.iter_child_nodes(node))


def build_graph(root: Path) -> tuple[dict[str, dict[str, list[Import]]], dict[str, int]]:
    """The project's import edges ``{importer: {imported: [Import, ...]}}`` and each module's line count."""
    modules = module_files(root)
    graph: dict[str, dict[str, list[Import]]] = {name: {} for name in modules}
    lines = {}
    for name, path in modules.items():
        source = path.read_text(encoding="utf-8")
        lines[name] = len(source.splitlines())
        tree = ast.parse(source, filename=str(path))
        is_package = path.name == "__init__.py"
        for node, module_level in _walk(tree):
            targets = set()
            for imported in _imported_names(node, name, is_package):
                target = _resolve(imported, modules)
                if target is not None and target != name:
                    targets.add(target)
            for target in targets:
                graph[name].setdefault(target, []).append(Import(node.lineno, module_level))
    return graph, lines


def strongly_connected(graph: dict[str, dict]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module, each sorted, largest first."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, {})):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph) + 100))
    try:
        for node in sorted(graph):
            if node not in index:
                visit(node)
    finally:
        sys.setrecursionlimit(limit)
    return sorted(found, key=lambda component: (-len(component), component))


def shortest_cycle(graph: dict[str, dict], component: list[str]) -> list[str]:
    """A shortest cycle through the component's first module, staying inside the component."""
    start, members = component[0], set(component)
    previous = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target in sorted(graph[node]):
            if target == start:
                path = [node]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])
                return list(reversed(path)) + [start]
            if target in members and target not in previous:
                previous[target] = node
                queue.append(target)
    return []


def report(root: Path, *, max_lines: int = DEFAULT_MAX_LINES, edges: bool = False) -> tuple[str, bool]:
    """The printed report and whether it found a cycle or a long module."""
    graph, lines = build_graph(root)
    out = [f"{len(graph)} modules, {sum(len(t) for t in graph.values())} import edges between them."]
    if edges:
        out.append("")
        out.append("Edges (importer -> imported: lines; * inside a function or class):")
        for importer in sorted(graph):
            for imported, where in sorted(graph[importer].items()):
                places = ", ".join(f"{i.line}{'' if i.module_level else '*'}" for i in where)
                out.append(f"  {importer} -> {imported}: {places}")
    components = strongly_connected(graph)
    out.append("")
    out.append(f"Import cycles: {len(components) or 'none'}")
    for component in components:
        out.append(f"  {len(component)} modules: {', '.join(component)}")
        cycle = shortest_cycle(graph, component)
        steps = []
        for importer, imported in zip(cycle, cycle[1:]):
            where = graph[importer][imported]
            places = ", ".join(f"{i.line}{'' if i.module_level else '*'}" for i in where)
            steps.append(f"{importer} -({places})-> ")
        out.append("    e.g. " + "".join(steps) + cycle[-1])
    long = sorted((name for name, count in lines.items() if count > max_lines), key=lambda n: (-lines[n], n))
    out.append("")
    out.append(f"Modules over {max_lines} lines: {len(long) or 'none'}")
    for name in long:
        out.append(f"  {name}: {lines[name]} lines")
    return "\n".join(out) + "\n", bool(components or long)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the repository root (default: the one this file is in)")
    parser.add_argument("--max-lines", type=int, default=DEFAULT_MAX_LINES, help="longest module allowed")
    parser.add_argument("--edges", action="store_true", help="also print every import edge")
    args = parser.parse_args(argv)
    text, problems = report(args.root, max_lines=args.max_lines, edges=args.edges)
    sys.stdout.write(text)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
