"""One module per concern, each defining ``TALLY`` (a ``rollups.Tally``): the roll-up
measures the concern keeps and how ``gridgov epidemic recount`` rebuilds them."""
