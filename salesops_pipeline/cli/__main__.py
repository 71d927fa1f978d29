"""`python -m salesops_pipeline.cli.main`: the same as the `salesops` command."""

from salesops_pipeline.cli.main import main

raise SystemExit(main())
