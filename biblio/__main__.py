"""``python -m biblio``: the ``biblio`` command, for when the console script is not on PATH."""

import sys

from biblio.cli import main

if __name__ == "__main__":
    sys.exit(main())
