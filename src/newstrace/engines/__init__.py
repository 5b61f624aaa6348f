"""Engines that run the whole scan somewhere else than this process's executors (Spark)."""
