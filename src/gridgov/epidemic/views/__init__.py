"""The epidemic pages, one module per concern; each owns its URL patterns."""
