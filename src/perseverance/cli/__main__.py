"""``python -m perseverance.cli``: the same as the ``perseverance`` command."""

import sys

from perseverance.cli import main

sys.exit(main())
