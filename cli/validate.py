"""`wres validate` (placeholder, being written)."""


def validate() -> None:
    """Placeholder."""
