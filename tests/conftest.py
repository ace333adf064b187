"""Test set-up: ``tests/`` is importable, so the op database (``opdb``) and its machinery (``opinfo``) are shared."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
