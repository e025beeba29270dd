"""Where the sketch tab's training drawings come from: pinned registry archives (see ASSETS.md).

* KanjiVG (PyPI `kanjivg` wheel, CC BY-SA 3.0): ``kanji/<hex>[-variant].svg`` in a 109x109 box, one
  ``<path>`` per stroke in stroke order. The whole wheel is read (`fetch_archive`), not one member.
* tabler icons (npm `@tabler/icons`, MIT): ``tabler-nodes-outline.json`` maps icon name -> list of
  ``[tag, attrs]`` nodes in a 24x24 box.
"""

from __future__ import annotations

from engines.assets import Archive, Asset

KANJIVG_WHEEL = Archive(
    name="PyPI kanjivg==20260714 (wheel)",
    url="https://files.pythonhosted.org/packages/16/72/b91cc2776df3bfca5a483c10b599bc207c25c74feb760ad31db41e99178c/"
    "kanjivg-20260714-py3-none-any.whl",
    sha256="5190e7ec4eb513dbe6865b2ed52c58287fc10ea514b9409e4cf66ce7db41644d",
    size=22598506,
    kind="wheel",
)
TABLER_ICONS = Archive(
    name="npm @tabler/icons@3.51.0",
    url="https://registry.npmjs.org/@tabler/icons/-/icons-3.51.0.tgz",
    sha256="b30108713d3fa60aee862c2a133225da8e0f309be0708fe2925763ff810c766c",
    size=1245641,
    kind="npm",
)
KANJIVG_LICENCE = "CC BY-SA 3.0 (KanjiVG, Ulrich Apel, kanjivg.tagaini.net)"
TABLER_LICENCE = "MIT (tabler icons, Paweł Kuna)"

ASSETS: tuple[Asset, ...] = (
    Asset(
        "tabler-nodes-outline.json",
        TABLER_ICONS,
        "package/tabler-nodes-outline.json",
        "e1f2e30e7834c07d784fe58810e99995afdc52fd0fce9c2699cd083514c5bf54",
        TABLER_LICENCE,
        "sketch",
    ),
)
