"""Run PyTorch programs on glassgrad: ``import torch`` resolves to glassgrad's modules.

An import hook (a ``sys.meta_path`` finder) maps ``torch`` to ``glassgrad`` and
``torch.X.Y`` to ``glassgrad.X.Y``.  A submodule glassgrad does not have fails
with an ImportError that names it; a missing attribute fails with an
AttributeError that names it (see ``glassgrad.__getattr__``).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: Any) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        pass


class TorchFinder(importlib.abc.MetaPathFinder):
    """Resolve ``torch`` and ``torch.*`` imports to glassgrad's modules."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "torch" and not fullname.startswith("torch."):
            return None
        real = "glassgrad" + fullname[len("torch"):]
        if importlib.util.find_spec(real) is None:
            raise ImportError(
                f"glassgrad does not provide '{fullname}' (no module '{real}'); this PyTorch feature is not "
                "supported by glassgrad yet",
                name=fullname,
            )
        return importlib.util.spec_from_loader(fullname, _Alias(real))


_FINDER = TorchFinder()


def install() -> None:
    """Make ``import torch`` give glassgrad (idempotent)."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    for name in [m for m in sys.modules if m == "torch" or m.startswith("torch.")]:
        del sys.modules[name]


def uninstall() -> None:
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in [m for m in sys.modules if m == "torch" or m.startswith("torch.")]:
        del sys.modules[name]


def run_script(path: str, argv: Sequence[str] = ()) -> None:
    """Run the PyTorch program at ``path`` as ``__main__`` with glassgrad standing in for torch."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"glassgrad run: no such file: {path}")
    # a real torch already imported in this process (a test, a notebook) is put back afterwards
    saved = {m: mod for m, mod in sys.modules.items() if m == "torch" or m.startswith("torch.")}
    install()
    old_argv = sys.argv
    sys.argv = [path, *argv]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        runpy.run_path(path, run_name="__main__")
    finally:
        sys.argv = old_argv
        if sys.path and sys.path[0] == os.path.dirname(os.path.abspath(path)):
            sys.path.pop(0)
        uninstall()
        sys.modules.update(saved)
