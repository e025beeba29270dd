import pytest

from engines.base import PaperInfo
from engines.registry import PaperRegistry, default_registry, load_object


def test_default_registry_entries_point_at_real_classes():
    reg = default_registry()
    assert "detection" in reg.keys()
    for info in reg:
        assert load_object(info.engine).__name__.endswith("Engine")


def test_duplicate_key_raises():
    info = PaperInfo("x", "X", ("p",), "a:B", "c:D")
    with pytest.raises(ValueError, match="already registered"):
        PaperRegistry((info, info))


def test_unknown_key_lists_known():
    with pytest.raises(KeyError, match="detection"):
        default_registry()["nope"]
