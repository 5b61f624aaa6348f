"""Starting Spark for newstrace: offline, small, quiet.

``local[*]`` by default, so the engine runs on a laptop with nothing but Java; a cluster URL
(``spark://``, ``yarn``, ``k8s://``) runs the same job there.  Logs are cut to errors (a
log4j2 file written beside the job), the web UI and console progress bars are off, and the
local driver binds to the loopback address, so a run neither opens ports to the network nor
looks anything up on it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newstrace.errors import NewstraceError

__all__ = ["SparkOptions", "SparkUnavailable", "spark_missing", "spark_session"]

_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = spark %p %c{1}: %m%n
"""


class SparkUnavailable(NewstraceError):
    """Spark cannot start here: pyspark or Java is missing (the message says how to install it)."""


@dataclass(frozen=True, slots=True)
class SparkOptions:
    """How to run the Spark engine.

    Attributes:
        master: the Spark master URL; ``local[*]`` uses this machine's cores.
        partitions: partitions of each distributed step (``None``: Spark's default
            parallelism, at least 2).
        driver_memory: the driver JVM's heap for ``local`` masters (the executors live in it).
            512 MB holds the BBC corpus: the Python workers do the work, the JVM only shuffles.
        java_options: more options for the driver and executor JVMs.  A short run on few
            documents is mostly Spark's per-stage overhead, and much of that is the JVM's
            optimising compiler warming up: ``-XX:TieredStopAtLevel=1`` (the quick compiler
            only) cut a 2-core ``local`` scan of the sample articles from 113 to 104 s (medians
            of 2 and 4 runs) and a trivial shuffle job from 1.0 to 0.7 s (the test suite uses
            it); long runs are better served by the default.
    """

    master: str = "local[*]"
    partitions: int | None = None
    driver_memory: str = "512m"
    java_options: str = ""

    @property
    def local(self) -> bool:
        return self.master.startswith("local")


def spark_missing() -> str | None:
    """Why Spark cannot run here (``None`` when it can): pyspark not installed, or no Java."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed: pip install 'newstrace[spark]'"
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "Spark needs Java 17: apt-get install openjdk-17-jre-headless (or `make system-deps`)"
    return None


def spark_session(options: SparkOptions, app: str = "newstrace") -> Any:
    """A SparkSession for ``options`` (an existing one is reused, as ``spark-submit`` makes one)."""
    problem = spark_missing()
    if problem:
        raise SparkUnavailable(problem)
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    conf_dir = Path(tempfile.mkdtemp(prefix="newstrace-spark-"))
    # The JVM reads it when it starts; kept until this process ends, then removed (it was
    # left behind, one folder a session).
    atexit.register(shutil.rmtree, conf_dir, ignore_errors=True)
    log4j = conf_dir / "log4j2.properties"
    log4j.write_text(_LOG4J, encoding="utf-8")
    # The Python workers must be this interpreter (the one with newstrace and its models).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    java = f"-Dlog4j2.configurationFile={log4j.as_uri()} {options.java_options}".strip()
    builder = (SparkSession.builder.master(options.master).appName(app)
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.driver.extraJavaOptions", java)
               .config("spark.executor.extraJavaOptions", java)
               .config("spark.python.worker.reuse", "true")
               .config("spark.sql.session.timeZone", "UTC"))
    if options.local:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = (builder.config("spark.driver.memory", options.driver_memory)
                   .config("spark.driver.host", "127.0.0.1")
                   .config("spark.driver.bindAddress", "127.0.0.1"))
    if options.partitions:
        builder = (builder.config("spark.default.parallelism", str(options.partitions))
                   .config("spark.sql.shuffle.partitions", str(options.partitions)))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel(os.environ.get("NEWSTRACE_SPARK_LOG", "ERROR"))
    return session
