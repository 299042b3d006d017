"""File exports, one module per concern (``gridgov.cases.exports.components``)."""
