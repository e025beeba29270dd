"""Contracts every registered paper meets, parametrised over the registry: a new paper is covered for free.

The folder template (docs/adding-a-paper.md), the recipe and its configs, the sources rows, the
command line, and each tiny model: documented shapes, finite outputs, a gradient in every
parameter, and the same outputs under the same seed.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from pathlib import Path

import pytest
import torch

from engines.assets import Asset
from engines.registry import default_registry, load_object
from engines.training import TrainingRecipe

PAPERS = default_registry().keys()
ROOT = Path(__file__).resolve().parents[2]
NOT_YET_ON_TEMPLATE: set[str] = set()  # papers listed here get strict xfails until they move
TEMPLATE = ("config.py", "model.py", "engine.py", "task.py", "sources.py", "bench.py", "cli.py")


def _template_papers():
    return [pytest.param(k, marks=pytest.mark.xfail(strict=True, reason="not on the folder template yet"))
            if k in NOT_YET_ON_TEMPLATE else k for k in PAPERS]


@pytest.mark.parametrize("key", _template_papers())
def test_folder_follows_the_template(key):
    folder = ROOT / "engines" / key
    assert [name for name in TEMPLATE if not (folder / name).is_file()] == []
    assert (ROOT / "desktop" / "tabs" / f"{key}.py").is_file()
    with_argparse = [p.name for p in folder.glob("*.py") if p.name != "cli.py"
                     and re.search(r"^\s*import argparse|^\s*from argparse", p.read_text(), re.M)]
    assert with_argparse == [], "argparse belongs in cli.py"


@pytest.mark.parametrize("key", _template_papers())
def test_registry_entry_names_importable_modules(key):
    info = default_registry()[key]
    assert load_object(info.engine).__name__.endswith("Engine")
    recipe = load_object(info.recipe)
    assert isinstance(recipe, TrainingRecipe) and recipe.paper == key
    recipe.defaults()  # the form's defaults validate
    rows = importlib.import_module(info.sources).ASSETS
    assert all(isinstance(a, Asset) and re.fullmatch(r"[0-9a-f]{64}", a.sha256) for a in rows)
    assert callable(importlib.import_module(info.bench).bench_records)
    with pytest.raises(SystemExit) as done:
        importlib.import_module(info.cli).main(["--help"])
    assert done.value.code == 0


@pytest.mark.parametrize("key", _template_papers())
def test_every_config_dataclass_is_frozen_and_has_a_valid_tiny(key):
    module = importlib.import_module(f"engines.{key}.config")
    configs = [c for c in vars(module).values() if isinstance(c, type) and dataclasses.is_dataclass(c)
               and c.__module__ == module.__name__]
    assert configs
    for config_type in configs:
        assert config_type.__dataclass_params__.frozen, config_type.__name__
        assert isinstance(config_type.tiny(), config_type), config_type.__name__
    assert load_object(default_registry()[key].recipe).config_type in configs


@pytest.mark.parametrize("key", _template_papers())
def test_tiny_models_shapes_gradients_and_determinism(key):
    cases = importlib.import_module(default_registry()[key].model).tiny_cases()
    assert cases
    for case in cases:
        _check_case(case)


def _check_case(case) -> None:
    def run():
        torch.manual_seed(0)
        model = case.build()
        inputs = case.example()
        return model, case.forward(model, inputs)

    model, out = run()
    assert {k: tuple(v.shape) for k, v in out.items()} == {k: tuple(v) for k, v in case.shapes.items()}
    assert all(torch.isfinite(v).all() for v in out.values() if v.is_floating_point())
    loss = case.loss(out) if case.loss else sum(v.float().mean() for v in out.values() if v.is_floating_point())
    loss.backward()
    no_grad = [n for n, p in model.named_parameters() if p.requires_grad and (p.grad is None or not p.grad.any())]
    assert no_grad == [], f"parameters without a (non-zero) gradient: {no_grad[:5]}"
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    _, again = run()
    for name in out:
        torch.testing.assert_close(again[name], out[name], rtol=0, atol=0)


def test_registry_builds_the_asset_list_and_the_benchmark_list():
    from engines import assets

    groups = {a.group for a in assets.all_assets()}
    assert {"detection", "pose", "media"} <= groups
    for info in default_registry():
        names = [a.name for a in importlib.import_module(info.sources).ASSETS]
        assert all(assets.asset(n) for n in names)


def _importlinter_contracts() -> list[dict]:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def test_import_contracts_cover_every_registered_paper_and_only_declared_uses():
    contracts = {c["type"]: c for c in _importlinter_contracts()}
    papers = {f"engines.{k}" for k in PAPERS}
    assert set(contracts["independence"]["modules"]) == papers
    assert papers <= set(contracts["acyclic_siblings"]["ancestors"])
    for line in contracts["independence"].get("ignore_imports", []):
        importer, imported = (part.strip().split(".")[1] for part in line.split("->"))
        assert imported in default_registry()[importer].uses, f"{line}: declare it in PaperInfo.uses"


def test_import_linter_contracts_are_kept():
    import subprocess
    import sys

    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]
