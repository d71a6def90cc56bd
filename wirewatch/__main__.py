"""`python -m wirewatch` is the same as the `wirewatch` command."""

from wirewatch.cli import main

main()
