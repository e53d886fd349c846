"""Deprecated location of the group-term priors: they live in :mod:`bayeslogit.priors.groups`
(and :mod:`bayeslogit.priors.scales`); this module re-exports them until its last importer
(``model.py``) imports from :mod:`bayeslogit.priors`."""

from .priors.groups import *  # noqa: F403
from .priors.groups import __all__ as _groups
from .priors.registry import parse_group_prior
from .priors.scales import *  # noqa: F403
from .priors.scales import __all__ as _scales

__all__ = [*_groups, *_scales, "parse_group_prior"]
