"""Results: fits wrapped with one interface (``params``, ``coef_table()``, ``summary()``,
``predict()``). :mod:`.base` is the shared interface, :mod:`.point` the MLE and MAP,
:mod:`.posterior` the draws; :mod:`.shortcuts` holds the methods that hand a fit to the later
stages (interpret, check, io).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""
