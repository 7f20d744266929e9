"""`wres demo` (placeholder, being written)."""


def demo() -> None:
    """Placeholder."""
