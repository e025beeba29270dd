"""Paper cards: each paper folder's card.md (our own words: the idea, the papers' headline numbers, what the
demo shows, what to try, the citation), read for the tab's info panel."""

from __future__ import annotations

from importlib import resources


def paper_card(key: str) -> str:
    """The Markdown text of engines/<key>/card.md, or a one-line note when the paper has none."""
    try:
        return resources.files(f"engines.{key}").joinpath("card.md").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return f"# {key}\n\nNo paper card yet."
