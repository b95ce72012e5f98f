"""`python -m lstm_course ...` is the `lstm-course` command."""

import sys

from .cli import main

sys.exit(main())
