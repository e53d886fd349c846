"""Priors: one class per family, owning its math; how a specification is resolved per column.

- :mod:`~bayeslogit.priors.base`: the interface (:class:`Prior`, :class:`JointFamily`,
  :class:`ScalePrior`, :class:`CorrelationPrior`) and :class:`PriorContext`;
- :mod:`~bayeslogit.priors.families`: the coefficient families (``Normal``, ``StudentT``,
  ``Cauchy``, ``Flat``, ``Laplace``, ``ElasticNet``), the autoscaled default
  and :func:`sklearn_prior`;
- :mod:`~bayeslogit.priors.horseshoe`: the regularized ``Horseshoe``;
- :mod:`~bayeslogit.priors.scales`: ``HalfNormal``, ``HalfStudentT`` and ``LKJ``;
- :mod:`~bayeslogit.priors.registry`: the families by name, for the CLI (text) and saved fits
  (JSON);
- :mod:`~bayeslogit.priors.resolve`: :func:`resolve_priors` and :class:`ResolvedPriors`;
- :mod:`~bayeslogit.priors.groups`: the priors of group terms' sds and correlations.

Every public name of those modules is importable from here (``from bayeslogit.priors import
Normal, resolve_priors``).

Examples
--------
>>> from bayeslogit.priors import parse_prior
>>> parse_prior("laplace(0, 0.5)").has_kink
True

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from .base import *  # noqa: F403
from .base import __all__ as _base
from .families import *  # noqa: F403
from .families import __all__ as _families
from .groups import *  # noqa: F403
from .groups import __all__ as _groups
from .horseshoe import *  # noqa: F403
from .horseshoe import __all__ as _horseshoe
from .registry import *  # noqa: F403
from .registry import __all__ as _registry
from .resolve import *  # noqa: F403
from .resolve import __all__ as _resolve
from .scales import *  # noqa: F403
from .scales import __all__ as _scales

__all__ = [*_base, *_families, *_horseshoe, *_scales, *_registry, *_resolve, *_groups]
