"""Compiled templates kept between processes render exactly what freshly compiled ones do."""

from __future__ import annotations

import tempfile

from xai_audit.render import html
from xai_audit.render.template_cache import template_cache


def _render(record, *, cache_dir, monkeypatch) -> str:
    monkeypatch.setattr(tempfile, "tempdir", str(cache_dir))
    html.environment.cache_clear()
    try:
        return html.render_html(record, charts=False)
    finally:
        html.environment.cache_clear()


def test_a_report_from_cached_templates_is_the_report_compiled_afresh(full_record, tmp_path, monkeypatch):
    compiled = _render(full_record, cache_dir=tmp_path, monkeypatch=monkeypatch)
    kept = list(tmp_path.glob("_jinja2-cache-*/__xai_audit_*.cache"))
    assert len(kept) >= 10  # the report and its partials
    cached = _render(full_record, cache_dir=tmp_path, monkeypatch=monkeypatch)
    assert cached == compiled


def test_a_cache_that_cannot_be_written_only_costs_the_compilation(full_record, tmp_path, monkeypatch):
    reference = _render(full_record, cache_dir=tmp_path, monkeypatch=monkeypatch)
    made = template_cache

    def gone(options):  # the folder vanished after the check (another process cleared it, a full disk)
        cache = made(options)
        cache.directory = str(tmp_path / "gone")
        return cache

    monkeypatch.setattr(html, "template_cache", gone)
    (tmp_path / "fresh").mkdir()
    assert _render(full_record, cache_dir=tmp_path / "fresh", monkeypatch=monkeypatch) == reference
    assert not (tmp_path / "gone").exists()


def test_the_options_are_part_of_the_cache_file_names(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    one, other = template_cache({"trim_blocks": True}), template_cache({"trim_blocks": False})
    assert one is not None and other is not None
    assert one.pattern != other.pattern and one.pattern == template_cache({"trim_blocks": True}).pattern


def test_no_private_folder_means_no_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))  # jinja2 cannot make its folder there
    assert template_cache({"autoescape": True}) is None
