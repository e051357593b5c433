"""The templates' own comments never reach a page."""

from __future__ import annotations

from pathlib import Path

import leadflow

ROOT = Path(leadflow.__file__).parent


def test_each_short_comment_closes_on_its_line():
    """Django reads {# ... #} only within one line: one spread over two lines is printed on the page, notes to
    developers and all. Longer notes go in {% comment %} ... {% endcomment %}."""
    templates = [path for path in ROOT.rglob("templates/**/*") if path.suffix in {".html", ".txt"}]
    assert len(templates) > 50
    unclosed = [f"{path.relative_to(ROOT)}:{number}" for path in templates
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if line.count("{#") > line.count("#}")]
    assert unclosed == []
