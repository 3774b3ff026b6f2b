"""The README's contract tables list exactly the columns of the sources YAML."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from kam import contract


def test_readme_contract_tables_match_the_yaml():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for entity, columns in contract.load_contract().items():
        section = readme.split(f"**`{entity}/`**", 1)[1].split("\n\n", 2)[1]
        rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \| (yes)? \|", section, flags=re.M)
        assert [(name, dtype.strip(), bool(req)) for name, dtype, req in rows] == \
            [(c.name, c.data_type, c.required) for c in columns], entity


def test_every_macro_is_documented_with_its_arguments():
    root = Path(__file__).parents[1] / "macros"
    defined = {}
    for path in root.glob("*.sql"):
        for kind, name, arguments in re.findall(r"\{%-?\s*(macro|test)\s+(\w+)\((.*?)\)", path.read_text()):
            defined[("test_" if kind == "test" else "") + name] = [a.split("=")[0].strip()
                                                                     for a in arguments.split(",") if a.strip()]
    documented = {m["name"]: [a["name"] for a in m.get("arguments", [])]
                  for m in yaml.safe_load((root / "_macros.yml").read_text())["macros"]}
    assert all(m.get("description") for m in yaml.safe_load((root / "_macros.yml").read_text())["macros"])
    assert documented == defined
