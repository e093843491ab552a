"""``python -m qa``: the same as the ``qa`` command."""

import sys

from qa.app.cli import main

sys.exit(main())
