"""``python -m qla`` is the ``qla`` command line."""

from qla.cli import main

raise SystemExit(main())
