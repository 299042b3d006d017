"""Every read of epidemic data, scoped to the user (architecture rule 2). One module per
concern; import from the module (``gridgov.epidemic.queries.declarations``)."""
