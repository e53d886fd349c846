"""Interpretation of any fit: predictions (:mod:`.predict`), odds ratios and marginal effects
(:mod:`.effects`), estimates of several fits side by side (:mod:`.side_by_side`) and model
comparison by PSIS-LOO (:mod:`.loo`).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""
