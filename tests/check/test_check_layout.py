"""check/ split by job: only figures.py imports matplotlib, no module is over 700 lines, and
every report section is listed once with a unique anchor."""

import ast
from pathlib import Path

CHECK = Path(__file__).resolve().parents[2] / "bayeslogit" / "check"


def _imported_modules(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module)
    return out


def test_only_figures_imports_matplotlib():
    users = sorted(
        p.name for p in CHECK.glob("*.py") if any(m.split(".")[0] == "matplotlib" for m in _imported_modules(p))
    )
    assert users == ["figures.py"]


def test_no_module_over_700_lines():
    sizes = {p.name: len(p.read_text().splitlines()) for p in CHECK.glob("*.py")}
    assert max(sizes.values()) <= 700, sizes


def test_sections_are_listed_once_with_unique_anchors():
    from bayeslogit.check.sections import SECTIONS

    anchors = [s.anchor for s in SECTIONS]
    assert len(set(anchors)) == len(anchors)
    assert len({s.render for s in SECTIONS}) == len(SECTIONS)
