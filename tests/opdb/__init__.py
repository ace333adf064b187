"""glassgrad's op database: every op family's entries, collected into one ``OPS`` list.

Each module here defines ``OPS: list[OpInfo]`` for one family; a new family file
is picked up automatically.
"""

from __future__ import annotations

import importlib
import pkgutil

from opinfo import OpInfo

OPS: list[OpInfo] = []
for _m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    OPS.extend(importlib.import_module(f"{__name__}.{_m.name}").OPS)
