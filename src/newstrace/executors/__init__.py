"""Executors own parallelism and I/O; stages never do."""
