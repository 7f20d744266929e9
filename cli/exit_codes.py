"""Exit codes of every wres command (documented in the README)."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    DISCLOSURE_AUDIT_FAILED = 1
    USAGE_OR_CONFIG = 2
    BAD_INPUT = 3
    INTERNAL = 4
