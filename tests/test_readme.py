"""The README's contract tables list exactly the columns of the sources YAML."""

from __future__ import annotations

import re
from pathlib import Path

from kam import contract


def test_readme_contract_tables_match_the_yaml():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for entity, columns in contract.load_contract().items():
        section = readme.split(f"**`{entity}/`**", 1)[1].split("\n\n", 2)[1]
        rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \| (yes)? \|", section, flags=re.M)
        assert [(name, dtype.strip(), bool(req)) for name, dtype, req in rows] == \
            [(c.name, c.data_type, c.required) for c in columns], entity
