def seed(stdout=None, options=None) -> None:
    """Demo content for this app (added as the app grows)."""
