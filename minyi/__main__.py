"""`python -m minyi`, the same as the `minyi` command."""

from minyi.cli import main

main()
