"""Every change of epidemic data: one function per verb, each taking the acting user as
``actor=``, in one transaction, permission-checked and audited. One module per concern;
import from the module (``gridgov.epidemic.actions.declarations``)."""
