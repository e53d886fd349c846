"""bayeslogit's own NUTS: the numpy log density (:mod:`.density`), the numba kernel that runs
one chain (:mod:`.kernel`) and the driver that runs the chains and builds the ArviZ
``DataTree`` (:mod:`.driver`).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""
