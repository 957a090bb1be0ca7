"""`python -m simroute`: the same as the `simroute` command."""
from .cli import main

main()
