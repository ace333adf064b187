"""The generated op reference (docs/ops.md) is the one the code produces now."""

from __future__ import annotations

from pathlib import Path

from glassgrad.ops import catalog

DOC = Path(__file__).resolve().parents[1] / "docs" / "ops.md"


def test_docs_ops_page_is_current() -> None:
    expected = catalog.render_markdown()
    assert DOC.read_text(encoding="utf-8") == expected, (
        "docs/ops.md is stale: regenerate it with `python -m glassgrad.ops.catalog > docs/ops.md`"
    )


def test_every_node_declares_its_rule() -> None:
    for cls in catalog.node_classes():
        assert cls.formula, cls
        assert cls.derivatives, f"{cls.__name__} declares no derivative"
        assert "backward" in {k for c in cls.__mro__ for k in vars(c)}, cls
