"""The Spark session of a run: the one already running, or one started here in local mode.

PySpark is an optional extra and Spark needs Java; when either is missing the run stops with a
:class:`ConfigError` that names what to install, never with PySpark's own traceback.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from wres.engine.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: How to install what the Spark engine needs.
SPARK_EXTRA = 'pip install "wres[spark]"'
JAVA_PACKAGE = "openjdk-17-jre-headless"
#: The master of a session started here: every core of this machine.
LOCAL_MASTER = "local[*]"
#: The heap of a session started here (its driver and executor), unless SPARK_DRIVER_MEMORY says.
LOCAL_MEMORY = "4g"


def require_pyspark() -> str:
    """PySpark's version; ConfigError naming the extra when PySpark or PyArrow is missing."""
    try:
        # the optional extra; mapInArrow hands the records over as Arrow
        modules = [importlib.import_module(name) for name in ("pyspark", "pyarrow")]
    except ImportError as err:
        msg = (
            f"--engine spark needs PySpark and PyArrow ({err.name} is not installed): "
            f"install the extra with {SPARK_EXTRA}, or run with --engine local"
        )
        raise ConfigError(msg) from None
    return str(modules[0].__version__)


def _java() -> Path | None:
    """The java that PySpark would start: JAVA_HOME's, else the first on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        found = Path(home) / "bin" / "java"
        return found if found.is_file() else None
    on_path = shutil.which("java")
    return Path(on_path) if on_path else None


def java_version(java: Path) -> int | None:
    """The major version of a java executable ("1.8" is 8), None when it cannot tell."""
    try:
        done = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if found is None:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


def require_java(pyspark_version: str) -> None:
    """ConfigError naming the Java package when no java that this PySpark runs on is found."""
    needed = 17 if int(pyspark_version.split(".", 1)[0]) >= 4 else 8
    java = _java()
    if java is None:
        where = (
            "JAVA_HOME/bin/java does not exist"
            if os.environ.get("JAVA_HOME")
            else "java is not on PATH and JAVA_HOME is not set"
        )
        problem = f"no Java runtime was found ({where})"
    else:
        version = java_version(java)
        if version is None:
            problem = f"{java} does not run or does not say its version"
        elif version < needed:
            problem = f"{java} is Java {version}"
        else:
            return
    msg = (
        f"--engine spark starts Apache Spark, which needs Java {needed} or later: {problem}; "
        f"install it (Debian or Ubuntu: apt-get install {JAVA_PACKAGE}) or point JAVA_HOME at "
        "one, or run with --engine local"
    )
    raise ConfigError(msg)


@contextmanager
def quiet_pyspark() -> Iterator[None]:
    """PySpark warns about the pandas it finds (it does not use pandas here); keep that quiet."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"PySpark does not yet", category=FutureWarning)
        yield


def spark_session() -> SparkSession:
    """The running Spark session (a notebook's, spark-submit's), or a new one in local mode on
    every core, whose Python workers run this Python (so they import this wres)."""
    version = require_pyspark()
    with quiet_pyspark():
        from pyspark import SparkContext  # noqa: PLC0415
        from pyspark.sql import SparkSession  # noqa: PLC0415

        active = SparkSession.getActiveSession()
        if active is not None:
            return active
        builder = SparkSession.builder.appName("wres")
        submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit started the JVM
        if not submitted and SparkContext._active_spark_context is None:
            require_java(version)
            # PySpark starts its Python workers with PYSPARK_PYTHON: this Python, with this wres
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            log = Path(__file__).with_name("log4j2.properties").as_uri()
            # in local mode the driver's JVM is the executor too: give it SPARK_DRIVER_MEMORY
            memory = os.environ.get("SPARK_DRIVER_MEMORY", LOCAL_MEMORY)
            builder = (
                builder.master(LOCAL_MASTER)
                .config("spark.driver.memory", memory)
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log}")
            )
        try:
            session = builder.getOrCreate()
        except Exception as err:
            msg = (
                f"cannot start Apache Spark ({type(err).__name__}); check that Java and PySpark "
                "work (pyspark --version), or run with --engine local"
            )
            raise ConfigError(msg) from None
        return session
