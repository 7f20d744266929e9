"""wres rules: what may be published (policies, suppression, the disclosure audit)."""
