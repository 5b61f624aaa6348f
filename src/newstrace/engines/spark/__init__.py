"""The Spark engine: ``newstrace scan PATHS --engine spark``.

The local scan's steps (``newstrace.pipeline``) as Spark jobs over the same step functions of
``newstrace.stages``; see ``run.py`` for the step table.  pyspark is imported only when a
session starts, so importing this package needs nothing beyond newstrace.
"""

from newstrace.engines.spark.run import OUTPUTS, SparkScanResult, read_results, scan_spark
from newstrace.engines.spark.session import SparkOptions, SparkUnavailable, spark_missing, spark_session

__all__ = ["OUTPUTS", "SparkOptions", "SparkScanResult", "SparkUnavailable", "read_results", "scan_spark",
           "spark_missing", "spark_session"]
