"""Test collection for the engine: the Spark tests need the spark extra (pyspark, pyarrow)."""

import importlib.util

#: without the spark extra (``pip install -e '.[dev,spark]'``) the Spark engine is not tested
collect_ignore = [] if importlib.util.find_spec("pyspark") else ["test_spark.py"]
