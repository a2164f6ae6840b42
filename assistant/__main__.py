"""`python -m assistant` runs the same command line as `coach`."""

import sys

from assistant.cli import main

sys.exit(main())
