"""``python -m vis_pipelines.evaluation``: see :mod:`vis_pipelines.evaluation.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
