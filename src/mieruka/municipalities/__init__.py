"""municipalities package."""
