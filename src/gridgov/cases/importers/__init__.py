"""File imports, one module per concern (``gridgov.cases.importers.components``)."""
