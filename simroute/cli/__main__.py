"""`python -m simroute.cli`: the same as the `simroute` command."""
from .app import main

main()
