"""wres engine: what is computed (readers, the count cube, indicators, statistics)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("wres")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"
