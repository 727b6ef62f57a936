import sys

from pytest_pareto.cli import main

sys.exit(main())
