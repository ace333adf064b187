"""``python -m glassgrad.demos digits|charlm [--steps N] [--seed S] [--out DIR]``."""

import sys

from .cli import main

sys.exit(main())
