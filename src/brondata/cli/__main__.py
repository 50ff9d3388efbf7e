"""``python -m brondata.cli``: the same as the ``brondata`` command."""

from brondata.cli import main

main()
