"""Share the seeded synthetic YouTube-VIS cases of tests/evaluation with the pipeline tests."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "evaluation"))
