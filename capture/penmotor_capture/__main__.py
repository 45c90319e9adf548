"""``python -m penmotor_capture`` = ``penmotor capture``."""

import sys

from .cli import main

sys.exit(main())
