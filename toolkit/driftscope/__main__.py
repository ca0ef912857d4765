"""``python -m driftscope`` runs the CLI."""

from driftscope.cli import main

main()
