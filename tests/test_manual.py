"""The manual's front door stays short, and its layout names every module."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYOUT = ROOT / "docs" / "layout.md"
ROW = re.compile(r"^\| (?P<where>[^|]+) \| (?P<what>.*) \|$", re.M)


def test_the_readme_is_a_front_door_of_at_most_200_lines():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 200


def named_in_layout(module: str, rows: list[tuple[str, str]]) -> bool:
    """``module`` (a path) is a row's own, or its file is named in the row of
    its directory (a package's ``__init__.py`` by the directory alone)."""
    directory, _, name = module.rpartition("/")
    for where, what in rows:
        places = re.findall(r"`([^`]+)`", where)
        if module in places:
            return True
        if f"{directory}/" in places and (name == "__init__.py" or f"`{name}`" in what):
            return True
    return False


def test_the_layout_names_every_module():
    rows = [(row["where"], row["what"]) for row in ROW.finditer(LAYOUT.read_text())]
    modules = sorted(str(path.relative_to(ROOT)) for package in ("restd_core", "restd_plugins")
                     for path in (ROOT / package).rglob("*.py"))
    assert [module for module in modules if not named_in_layout(module, rows)] == []
