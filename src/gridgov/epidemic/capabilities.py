"""The epidemic capabilities (``accounts.roles`` says which role has which)."""

VIEW = "epidemic.view"
DECLARE = "epidemic.declare"
SCREEN = "epidemic.screen"
FOLLOW_UP = "epidemic.follow_up"
REPORT = "epidemic.report"
CAMPAIGN = "epidemic.campaign"
ISOLATE = "epidemic.isolate"
NOTIFY = "epidemic.notify"
MANAGE = "epidemic.manage"
EXPORT = "epidemic.export"
AGGREGATE = "epidemic.aggregate"

# Any of these lets a user read the (public) list of risk areas.
RISK_READERS = (VIEW, AGGREGATE, MANAGE)
