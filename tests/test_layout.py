"""The package's layout: imports point down the flow, and nothing imports in a circle.

Walks every module's imports with ``ast`` (nothing is imported or run). Three rules, from
ARCHITECTURE.md:

1. Every module belongs to a stage; a module's top-level imports of the package go to its own
   stage or an earlier one.
2. The top-level imports have no cycle (also within a stage).
3. An import deferred into a function body that reaches a *later* stage is allowed in one place
   only: ``bayeslogit/results/shortcuts.py``, the results' convenience methods (``predict``,
   ``diagnostics``, ``report``, ``save``...). Deferred imports that point down the flow are
   allowed anywhere (they keep ``import bayeslogit`` and ``bayeslogit --help`` light).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bayeslogit"

# The flow, earliest stage first (ARCHITECTURE.md draws the same list).
STAGES = [
    (
        "base",
        [
            "errors",
            "_validation",
            "_options",
            "_numerics",
            "_blocks",
            "_psis",
            "_version",
            "summary",
            "datasets",
            "_formula",
            "_files",
            "_group_syntax",
        ],
    ),
    ("design", ["design", "response", "response_categorical"]),
    ("priors", ["priors"]),
    ("fit", ["fit"]),
    ("results", ["results"]),
    ("model", ["model", "model_state"]),
    ("interpret", ["interpret", "io", "io_categorical", "io_dask"]),
    ("check", ["check"]),
    ("entry points", ["sklearn", "cli", "cli_categorical", "__init__", "__main__"]),
]
MARKED_EXCEPTION = "bayeslogit.results.shortcuts"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _stage(module: str) -> int:
    parts = module.split(".")
    first = parts[1] if len(parts) > 1 else "__init__"
    for i, (_, members) in enumerate(STAGES):
        if first in members:
            return i
    raise AssertionError(f"{module} is in no stage: add it to STAGES and ARCHITECTURE.md")


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    if node.level == 0:
        base = node.module or ""
    else:
        pkg = module.split(".") if is_package else module.split(".")[:-1]
        pkg = pkg[: len(pkg) - (node.level - 1)]
        base = ".".join(pkg + ([node.module] if node.module else []))
    if not base.startswith("bayeslogit"):
        return []
    # "from . import x" names a submodule; "from .m import f" names module m.
    out = []
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        if _exists(candidate):
            out.append(candidate)
        else:
            out.append(base)
    return out


def _exists(module: str) -> bool:
    rel = Path(*module.split(".")[1:])
    return (PACKAGE / rel).with_suffix(".py").exists() or (PACKAGE / rel / "__init__.py").exists()


def _imports():
    """``(module, target, deferred, line)`` for every import of a bayeslogit module."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(), filename=str(path))
        is_package = path.name == "__init__.py"
        type_checking = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                type_checking.update(id(n) for n in ast.walk(node))
        deferred = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                deferred.update(id(n) for n in ast.walk(node) if n is not node)
        for node in ast.walk(tree):
            if id(node) in type_checking:
                continue
            if isinstance(node, ast.ImportFrom):
                targets = _resolve(module, is_package, node)
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("bayeslogit")]
            else:
                continue
            for target in targets:
                if target != module:
                    found.append((module, target, id(node) in deferred, node.lineno))
    return found


IMPORTS = _imports()


def test_every_module_has_a_stage():
    for module, target, _, _ in IMPORTS:
        _stage(module), _stage(target)


def test_top_level_imports_point_down_the_flow():
    bad = [
        f"{m}:{line} imports {t} ({STAGES[_stage(t)][0]}) at top level, but {m} is in stage {STAGES[_stage(m)][0]!r}"
        for m, t, deferred, line in IMPORTS
        if not deferred and _stage(t) > _stage(m)
    ]
    assert not bad, "\n".join(bad)


def test_no_cycle_among_top_level_imports():
    graph: dict[str, set[str]] = {}
    for m, t, deferred, _ in IMPORTS:
        if not deferred:
            graph.setdefault(m, set()).add(t)
            # importing a.b.c runs a/__init__ and a/b/__init__ first
            parts = t.split(".")
            for k in range(2, len(parts)):
                parent = ".".join(parts[:k])
                if parent != m and not m.startswith(parent + "."):
                    graph[m].add(parent)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if state.get(nxt) is None:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if state.get(node) is None:
            visit(node)


def test_deferred_imports_reach_up_only_from_the_marked_place():
    bad = [
        f"{m}:{line} defers an import of {t} (stage {STAGES[_stage(t)][0]!r}) from stage "
        f"{STAGES[_stage(m)][0]!r}; only {MARKED_EXCEPTION} may reach up the flow"
        for m, t, deferred, line in IMPORTS
        if deferred and _stage(t) > _stage(m) and m != MARKED_EXCEPTION
    ]
    assert not bad, "\n".join(bad)


def test_the_marked_place_is_used():
    up = [t for m, t, deferred, _ in IMPORTS if m == MARKED_EXCEPTION and deferred]
    assert {"bayeslogit.interpret.predict", "bayeslogit.check.diagnostics", "bayeslogit.io"} <= set(up)


def test_the_checker_sees_a_cycle(tmp_path, monkeypatch):
    """The rules above would catch a new upward import (the checker is not vacuous)."""
    src = "".join(p.read_text() for p in (PACKAGE / "design").glob("*.py"))
    assert "from .model import" not in src
    fake = [("bayeslogit.design", "bayeslogit.model", False, 1)] + IMPORTS
    upward = [(m, t) for m, t, d, _ in fake if not d and _stage(t) > _stage(m)]
    assert ("bayeslogit.design", "bayeslogit.model") in upward


def test_no_two_modules_differ_by_a_suffix():
    names = sorted({p.stem for p in PACKAGE.rglob("*.py") if p.stem != "__init__"})
    clashes = [(a, b) for a in names for b in names if a != b and b.startswith(a) and len(b) - len(a) <= 3]
    assert not clashes, clashes


# -- families own their math: a family's class is named in few modules ------------------------

FAMILY_CLASSES = [
    "Normal",
    "StudentT",
    "Cauchy",
    "Flat",
    "Laplace",
    "ElasticNet",
    "Horseshoe",
    "HalfNormal",
    "HalfStudentT",
    "LKJ",
]
FAMILY_HOMES = {
    "bayeslogit.priors.families": ["Normal", "StudentT", "Cauchy", "Flat", "Laplace", "ElasticNet"],
    "bayeslogit.priors.horseshoe": ["Horseshoe"],
    "bayeslogit.priors.scales": ["HalfNormal", "HalfStudentT", "LKJ"],
}
MAX_FAMILY_MODULES = 3
"""A family's home, ``bayeslogit/__init__.py`` and at most one registry (bayeslogit.priors.registry)."""
NOT_YET_CONVERTED: dict[str, set[str]] = {}
"""Modules that may still name a family's class although they should not (converted after the
merge of issue 21's parallel work: model.py, check/diagnostics.py, check/report.py, io.py's
other functions). Empty: none of them names a family class today."""


def _family_names_in(tree: ast.AST) -> set[str]:
    """Family classes named in code: names, imported names and ``x.Normal`` attributes (not
    ``pm.Normal``, PyMC's own), never in strings, docstrings or comments."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in FAMILY_CLASSES:
            found.add(node.id)
        elif isinstance(node, ast.ClassDef) and node.name in FAMILY_CLASSES:
            found.add(node.name)
        elif isinstance(node, ast.alias) and (node.asname or node.name).split(".")[-1] in FAMILY_CLASSES:
            found.add((node.asname or node.name).split(".")[-1])
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in FAMILY_CLASSES
            and not (isinstance(node.value, ast.Name) and node.value.id in ("pm", "pymc"))
        ):
            found.add(node.attr)
    return found


def family_modules() -> dict[str, list[str]]:
    """Family class -> the modules naming it in code."""
    out: dict[str, list[str]] = {name: [] for name in FAMILY_CLASSES}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        for name in _family_names_in(ast.parse(path.read_text(), filename=str(path))):
            out[name].append(module)
    return out


def test_each_family_class_is_named_in_at_most_three_modules():
    modules = family_modules()
    bad = {}
    for name, where in modules.items():
        counted = [m for m in where if name not in NOT_YET_CONVERTED.get(m, set())]
        if len(counted) > MAX_FAMILY_MODULES:
            bad[name] = counted
    assert not bad, f"family classes named in more than {MAX_FAMILY_MODULES} modules: {bad}"
    for home, names in FAMILY_HOMES.items():
        for name in names:
            assert home in modules[name], f"{name} is not defined in {home}"


def test_no_module_compares_family_names():
    """No module outside ``priors/`` compares a family's name (``prior.family == "Flat"``, ``family
    in ("Laplace", ...)``): the fitters, results, checks and report ask the prior. (The compiled
    kernel's integer prior codes, which ``fit/nuts/density.py`` mirrors in numpy, are not names.)"""
    names = {
        "Normal",
        "HierNormal",
        "StudentT",
        "Cauchy",
        "Flat",
        "Laplace",
        "ElasticNet",
        "Horseshoe",
        "HalfNormal",
        "HalfStudentT",
        "LKJ",
    }
    bad = []
    for path in sorted(p for p in PACKAGE.rglob("*.py") if "priors" not in p.relative_to(PACKAGE).parts):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Compare):
                consts = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
                if any(c in names for c in consts):
                    bad.append(f"{_module_name(path)}:{node.lineno}: {ast.unparse(node)}")
    assert not bad, "\n".join(bad)


def test_the_family_check_counts_what_it_should():
    src = "import pymc as pm\nfrom .x import Flat\npm.Normal('a')\nbl.Laplace(0, 1)\n'Cauchy'\nclass LKJ: pass\n"
    assert _family_names_in(ast.parse(src)) == {"Flat", "Laplace", "LKJ"}


# -- the public surface (ARCHITECTURE.md, "Public surface") -----------------------------------

PUBLIC_MODULES = ["bayeslogit", "bayeslogit.datasets", "bayeslogit.errors", "bayeslogit.sklearn"]
"""The modules users import; ARCHITECTURE.md lists the same ones."""
INTERNAL_MODULES = [
    "bayeslogit.check",
    "bayeslogit.check.dask_report",
    "bayeslogit.check.categorical",
    "bayeslogit.check.categorical_report",
    "bayeslogit.check.categorical_statistics",
    "bayeslogit.check.diagnostics",
    "bayeslogit.check.figures",
    "bayeslogit.check.page",
    "bayeslogit.check.report",
    "bayeslogit.check.scores",
    "bayeslogit.check.sections",
    "bayeslogit.check.sensitivity",
    "bayeslogit.check.statistics",
    "bayeslogit.cli",
    "bayeslogit.cli_categorical",
    "bayeslogit.design",
    "bayeslogit.design.builder",
    "bayeslogit.design.dask",
    "bayeslogit.design.categorical",
    "bayeslogit.design.data_checks",
    "bayeslogit.design.group_terms",
    "bayeslogit.design.matrix_checks",
    "bayeslogit.design.names",
    "bayeslogit.design.offsets",
    "bayeslogit.design.rebuild",
    "bayeslogit.design.poly",
    "bayeslogit.design.response",
    "bayeslogit.fit",
    "bayeslogit.fit.distributed",
    "bayeslogit.fit.group_model",
    "bayeslogit.fit.laplace",
    "bayeslogit.fit.newton",
    "bayeslogit.fit.categorical",
    "bayeslogit.fit.categorical_laplace",
    "bayeslogit.fit.categorical_pymc",
    "bayeslogit.fit.categorical_separation",
    "bayeslogit.fit.nuts",
    "bayeslogit.fit.nuts.cache",
    "bayeslogit.fit.nuts.categorical_density",
    "bayeslogit.fit.nuts.categorical_kernel",
    "bayeslogit.fit.nuts.density",
    "bayeslogit.fit.nuts.driver",
    "bayeslogit.fit.nuts.group_density",
    "bayeslogit.fit.nuts.group_kernel",
    "bayeslogit.fit.nuts.kernel",
    "bayeslogit.fit.nuts.progress",
    "bayeslogit.fit.nuts.warm",
    "bayeslogit.fit.glmm",
    "bayeslogit.fit.penalized",
    "bayeslogit.fit.prior_predictive",
    "bayeslogit.fit.prior_predictive_categorical",
    "bayeslogit.fit.prior_scale",
    "bayeslogit.fit.pymc_model",
    "bayeslogit.fit.sampling",
    "bayeslogit.fit.separation",
    "bayeslogit.interpret",
    "bayeslogit.interpret.effects",
    "bayeslogit.interpret.grid",
    "bayeslogit.interpret.grid_plots",
    "bayeslogit.interpret.group_predict",
    "bayeslogit.interpret.hypotheses",
    "bayeslogit.interpret.kfold",
    "bayeslogit.interpret.loo",
    "bayeslogit.interpret.categorical_loo",
    "bayeslogit.interpret.loo_dask",
    "bayeslogit.interpret.marginal",
    "bayeslogit.interpret.pooling",
    "bayeslogit.interpret.prior_plots",
    "bayeslogit.interpret.predict",
    "bayeslogit.interpret.side_by_side",
    "bayeslogit.io",
    "bayeslogit.io_categorical",
    "bayeslogit.io_dask",
    "bayeslogit.model",
    "bayeslogit.model_state",
    "bayeslogit.priors",
    "bayeslogit.priors.base",
    "bayeslogit.priors.families",
    "bayeslogit.priors.groups",
    "bayeslogit.priors.horseshoe",
    "bayeslogit.priors.registry",
    "bayeslogit.priors.resolve",
    "bayeslogit.priors.scales",
    "bayeslogit.response",
    "bayeslogit.response_categorical",
    "bayeslogit.results",
    "bayeslogit.results.base",
    "bayeslogit.results.cache",
    "bayeslogit.results.distributed",
    "bayeslogit.results.glmm",
    "bayeslogit.results.groups",
    "bayeslogit.results.point",
    "bayeslogit.results.categorical",
    "bayeslogit.results.categorical_draws",
    "bayeslogit.results.posterior",
    "bayeslogit.results.shortcuts",
    "bayeslogit.summary",
]
"""Internal modules whose names do not start with ``_`` (those are internal by name)."""
INTERNAL_LINE = 'Internal (not public API): see ARCHITECTURE.md, "Public surface".'
"""The line an internal module's docstring holds (by itself, usually last)."""

PUBLIC_NAMES = [
    "ArgumentError",
    "BayesianLogisticRegression",
    "BayeslogitError",
    "BayeslogitWarning",
    "Cauchy",
    "DataError",
    "Design",
    "DesignError",
    "ElasticNet",
    "FitFileError",
    "Flat",
    "FormulaError",
    "GLMMResults",
    "HalfNormal",
    "HalfStudentT",
    "Horseshoe",
    "LKJ",
    "Laplace",
    "LogitModel",
    "MAPResults",
    "MLEResults",
    "MissingDataWarning",
    "Normal",
    "OutputError",
    "ParetoKWarning",
    "PointResults",
    "PosteriorResults",
    "Prior",
    "PriorError",
    "Results",
    "SamplerError",
    "ScaleChoice",
    "SeparationWarning",
    "StudentT",
    "__version__",
    "avg_comparisons",
    "avg_predictions",
    "avg_slopes",
    "build_design",
    "compare",
    "compare_models",
    "comparisons",
    "datagrid",
    "hypotheses",
    "kfold",
    "load",
    "lrtest",
    "option_context",
    "options",
    "plot_compare",
    "plot_comparisons",
    "plot_pooling",
    "plot_predictions",
    "plot_prior_predictive",
    "plot_slopes",
    "pooling_table",
    "predictions",
    "scale_by_cv",
    "scale_by_evidence",
    "sklearn_prior",
    "slopes",
]
"""``bl.__all__``, sorted: adding or removing a public name is a change to this list too."""
LIGHT_IMPORT_AVOIDS = ["pymc", "pytensor", "arviz", "numba", "matplotlib", "scipy.optimize", "sklearn"]
"""What ``import bayeslogit`` must not import (each is imported on first use)."""


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _internal_by_name(module: str) -> bool:
    return any(part.startswith("_") for part in module.split(".")[1:])


def test_every_module_is_public_or_internal():
    modules = set(_modules())
    assert not set(PUBLIC_MODULES) & set(INTERNAL_MODULES)
    unclassified = sorted(
        m for m in modules if m not in PUBLIC_MODULES and m not in INTERNAL_MODULES and not _internal_by_name(m)
    )
    assert not unclassified, (
        f"modules neither public nor internal: {unclassified}; add each to INTERNAL_MODULES (and the "
        f"line {INTERNAL_LINE!r} to its docstring), or to PUBLIC_MODULES and ARCHITECTURE.md"
    )
    gone = sorted(m for m in [*PUBLIC_MODULES, *INTERNAL_MODULES] if m not in modules)
    assert not gone, f"listed but not in the package: {gone}"
    assert not [m for m in INTERNAL_MODULES if _internal_by_name(m)], "internal by name: no need to list"


def test_the_public_modules_are_the_documented_ones():
    text = (PACKAGE.parent / "ARCHITECTURE.md").read_text()
    assert "\n## Public surface\n" in text
    section = text.split("\n## Public surface\n", 1)[1].split("\n## ", 1)[0]
    documented = [line.split("`")[1] for line in section.splitlines() if line.startswith("- `bayeslogit")]
    assert documented == PUBLIC_MODULES
    assert INTERNAL_LINE in section


def test_internal_modules_say_so_in_their_docstring():
    docs = {m: ast.get_docstring(ast.parse(p.read_text())) or "" for m, p in _modules().items()}
    marked = {m for m, doc in docs.items() if INTERNAL_LINE in (line.strip() for line in doc.splitlines())}
    missing = sorted(set(INTERNAL_MODULES) - marked)
    assert not missing, f"internal modules whose docstring lacks the line {INTERNAL_LINE!r}: {missing}"
    assert not marked & set(PUBLIC_MODULES), "a public module's docstring says it is internal"


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _from_base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    pkg = module.split(".") if is_package else module.split(".")[:-1]
    pkg = pkg[: len(pkg) - (node.level - 1)]
    return ".".join(pkg + ([node.module] if node.module else []))


def _private_uses(module: str, is_package: bool, tree: ast.AST) -> list[str]:
    """``from X import _name`` and ``X._name`` where X is another bayeslogit module: a module's
    own names, dunder names and ``_private`` *modules* (``from .. import _blocks``) are fine."""
    bad = []
    bound: dict[str, str] = {}  # local name -> the bayeslogit module it names
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "bayeslogit":
                    bound[alias.asname or "bayeslogit"] = alias.name if alias.asname else "bayeslogit"
        elif isinstance(node, ast.ImportFrom):
            base = _from_base(module, is_package, node)
            if base.split(".")[0] != "bayeslogit":
                continue
            for alias in node.names:
                if _exists(f"{base}.{alias.name}"):
                    bound[alias.asname or alias.name] = f"{base}.{alias.name}"
                elif _private(alias.name) and base != module:
                    bad.append(f"{module}:{node.lineno}: from {base} import {alias.name}")

    def named_module(node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return bound.get(node.id)
        if isinstance(node, ast.Attribute):
            parent = named_module(node.value)
            if parent and _exists(f"{parent}.{node.attr}"):
                return f"{parent}.{node.attr}"
        return None

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            owner = named_module(node.value)
            if owner and owner != module and not _exists(f"{owner}.{node.attr}"):
                bad.append(f"{module}:{node.lineno}: {ast.unparse(node)} ({owner}.{node.attr})")
    return bad


def test_no_module_uses_another_modules_private_name():
    bad = []
    for module, path in _modules().items():
        bad += _private_uses(module, path.name == "__init__.py", ast.parse(path.read_text(), filename=str(path)))
    assert not bad, "give the helper a public name in its home module:\n" + "\n".join(bad)


def test_the_private_name_check_sees_what_it_should():
    src = (
        "import bayeslogit\n"
        "import bayeslogit.fit.newton as nt\n"
        "from .. import _blocks, _numerics\n"
        "from . import names\n"
        "from .names import _plain, identifiers\n"
        "from .response import __doc__\n"
        "from ._own import _x\n"
        "from ..fit.newton import prior_terms\n"
        "names._preview(1)\n"
        "_blocks.map_rows, _blocks._private_helper\n"
        "nt._gram\n"
        "bayeslogit.fit.nuts.driver._COMPILED\n"
        "bayeslogit._options\n"
        "self._cache, np._x\n"
    )
    bad = _private_uses("bayeslogit.design.builder", False, ast.parse(src))
    found = sorted(line.split(": ", 1)[1].split(" (")[0] for line in bad)
    assert found == sorted(
        [
            "from bayeslogit.design.names import _plain",
            "from bayeslogit.design._own import _x",
            "names._preview",
            "_blocks._private_helper",
            "nt._gram",
            "bayeslogit.fit.nuts.driver._COMPILED",
        ]
    )
    assert _private_uses("bayeslogit.design.names", False, ast.parse("from .names import _plain\n")) == []


def test_public_names_are_pinned():
    import bayeslogit as bl

    assert len(set(bl.__all__)) == len(bl.__all__), "a name is listed twice in bl.__all__"
    assert sorted(bl.__all__) == PUBLIC_NAMES, (
        f"added: {sorted(set(bl.__all__) - set(PUBLIC_NAMES))}, removed: {sorted(set(PUBLIC_NAMES) - set(bl.__all__))}"
    )
    # what bayeslogit/__init__.py imports is in __all__ (no public name by accident)
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    imported = {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module != "__future__"
        for alias in node.names
    }
    assert imported - {"annotations"} <= set(bl.__all__)


def test_every_public_name_resolves():
    import bayeslogit as bl

    for name in bl.__all__:
        if name == "BayesianLogisticRegression":
            pytest.importorskip("sklearn")
        assert getattr(bl, name) is not None, name


def test_import_bayeslogit_stays_light():
    import subprocess
    import sys

    code = f"import sys, bayeslogit; print([m for m in {LIGHT_IMPORT_AVOIDS!r} if m in sys.modules])"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]", f"import bayeslogit imports {res.stdout.strip()}"


def test_no_module_over_700_lines():
    """The big modules were split by job (issue 21): a module over 700 lines holds several jobs."""
    sizes = {m: len(p.read_text().splitlines()) for m, p in _modules().items()}
    big = {m: n for m, n in sizes.items() if n > 700}
    assert not big, f"modules over 700 lines (split them by job): {big}"
