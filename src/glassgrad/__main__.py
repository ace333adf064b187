"""``python -m glassgrad ...`` is the ``glassgrad`` command."""

import sys

from .cli import main

sys.exit(main())
