"""Command-line interface: thin argument parsing over the importable functions."""
