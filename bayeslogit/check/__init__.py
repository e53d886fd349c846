"""Checking a posterior: diagnostics with verdicts (:mod:`.diagnostics`) and the
self-contained HTML report (:mod:`.report`)."""
