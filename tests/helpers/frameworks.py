"""Tests over the framework registry: one parameter per framework, each skipping where it is not installed."""

from __future__ import annotations

import importlib.util

import pytest

from fwguide import frameworks


def installed(framework: frameworks.Framework) -> bool:
    return importlib.util.find_spec(framework.module) is not None


def each(*, needs_it: bool = True, only: tuple[str, ...] | None = None) -> list:
    """pytest parameters, one per registered framework id (or those of `only`), marked needs(module) if `needs_it`."""
    chosen = [frameworks.get(name) for name in only] if only is not None else list(frameworks.known())
    return [pytest.param(f.id, id=f.id, marks=[pytest.mark.needs(f.module)] if needs_it else []) for f in chosen]


def shown_by_a_probe() -> list[str]:
    """The frameworks a plain `probe-gpu` of this interpreter reports: the decision's two, and the others installed."""
    return [f.id for f in frameworks.known() if f.id in frameworks.DECISION or installed(f)]


def installed_ids() -> list[str]:
    return [f.id for f in frameworks.known() if installed(f)]
