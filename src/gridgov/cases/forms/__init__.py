"""Forms of the case pages, one module per concern (``gridgov.cases.forms.workflow``)."""
