"""GridGov: big-data grid governance for Chinese cities."""

__version__ = "0.1.0"
