"""`python -m backend.cli`: the same as `nmirf`."""

import sys

from backend.cli import main

sys.exit(main())
