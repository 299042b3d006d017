"""Scoped reads of cases, classes, components and the calendar, one module per concern."""
