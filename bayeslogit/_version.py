"""The package version (one place: the report and ``bayeslogit --version`` read it)."""

__version__ = "0.1.0"
