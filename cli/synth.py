"""`wres synth` (placeholder, being written)."""


def synth() -> None:
    """Placeholder."""
