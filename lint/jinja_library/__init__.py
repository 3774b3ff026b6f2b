"""What sqlfluff's jinja templater lends the models in place of a dbt run (.sqlfluff's
library_path): every name here is a Jinja global while linting.

dbt's cross-database macros and the dispatched ones render as a call of their name, so the
model around them parses and is linted; what they expand to is each engine's SQL, not the
models' style. `execute` is false, as while dbt parses, so no macro queries a warehouse.
"""

from __future__ import annotations

import datetime
import types
from pathlib import Path

import yaml

_PROJECT = yaml.safe_load((Path(__file__).resolve().parents[2] / "dbt_project.yml").read_text())

# dispatched macros whose SQL is not an expression, as they render on DuckDB
_NOT_EXPRESSIONS = {
    "not_materialized": "not materialized",
    "generate_series": "select 1 as generated_number",
}


class _Macros:
    """dbt.<macro>(...) and adapter.dispatch('<macro>', ...)(...) as `<macro>(args)`."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        if name in _NOT_EXPRESSIONS:
            return lambda *args, **kwargs: _NOT_EXPRESSIONS[name]
        return lambda *args, **kwargs: f"{name}({', '.join(str(a) for a in [*args, *kwargs.values()])})"

    def dispatch(self, name: str, macro_namespace: str | None = None):
        return getattr(self, name)


def _raise_compiler_error(message: str) -> None:
    raise ValueError(message)


def var(name: str, default=None):
    """The project's vars as dbt_project.yml sets them (so the models' policy checks pass)."""
    return _PROJECT["vars"].get(name, default)


dbt = adapter = _Macros()
execute = False
flags = types.SimpleNamespace(FULL_REFRESH=False)
modules = types.SimpleNamespace(datetime=datetime)
exceptions = types.SimpleNamespace(raise_compiler_error=_raise_compiler_error)
