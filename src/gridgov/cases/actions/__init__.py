"""Every change of a case, class, component or calendar day: one function per verb, each
taking the acting user as ``actor=``, in one transaction, permission-checked and audited.
One module per concern; import from the module (``gridgov.cases.actions.workflow``)."""
