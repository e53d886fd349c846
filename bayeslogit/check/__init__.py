"""Checking a posterior: diagnostics with verdicts, and the self-contained HTML report.

Diagnostics, split by job: :mod:`.diagnostics` (the checks, their verdicts and suggestions:
``Check``, ``Diagnostics``, ``diagnose``), :mod:`.scores` (fitted probabilities, Brier score,
log score, AUC, PAV calibration) and :mod:`.sensitivity` (power-scaling prior sensitivity).

The report: :mod:`.report` (``write_report``, ``render_report``) walks the sections of
:mod:`.sections` (one function each, in ``SECTIONS``), which take their numbers from
:mod:`.statistics`, their figures from :mod:`.figures` (the only matplotlib import here) and
write HTML with :mod:`.page`.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""
