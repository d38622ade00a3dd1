"""The package as shipped: every subpackage listed, the public surface, the bundled data files."""

import re
from pathlib import Path

import xai_audit

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_in_pyproject():
    listed = set(re.findall(r'"(xai_audit(?:\.\w+)*)"', (ROOT / "pyproject.toml").read_text()))
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "xai_audit").rglob("__init__.py")}
    assert on_disk - listed == set(), "add these packages to [tool.setuptools] packages in pyproject.toml"
    assert "xai_audit.templates" in listed


def test_public_names_exist():
    for name in xai_audit.__all__:
        assert hasattr(xai_audit, name), name


def test_torch_is_pinned_to_the_cpu_build():
    assert "torch==2.13.0" in (ROOT / "constraints.txt").read_text()
    assert "-c constraints.txt" in (ROOT / "Makefile").read_text()
