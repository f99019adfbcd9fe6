from __future__ import annotations

from ocis.cli.main import main

main()
