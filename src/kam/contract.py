"""The raw contract, read from the dbt sources YAML, and the structural checks run before dbt.

Row-level problems are quarantined by staging; what this module rejects is structure that no
row-level rule can repair: a missing or empty entity folder, a file that is not CSV or Parquet,
a required column absent from a file.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import yaml

SOURCES_YAML = Path(__file__).resolve().parents[2] / "models/staging/raw/_raw__sources.yml"


class ContractError(Exception):
    """A structural problem with the raw files; the message names the file and column."""


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    meta: dict

    @property
    def required(self) -> bool:
        return bool(self.meta.get("required"))


def load_contract(path: Path = SOURCES_YAML) -> dict[str, list[Column]]:
    """Entity name -> its columns, in contract order."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    source = next(s for s in spec["sources"] if s["name"] == "raw")
    return {
        table["name"]: [
            Column(c["name"], c["data_type"], (c.get("config") or {}).get("meta", {}))
            for c in table["columns"]
        ]
        for table in source["tables"]
    }


def file_columns(path: Path) -> list[str]:
    """Column names of one raw file, reading only its header or Parquet footer."""
    if path.suffix.lower() == ".parquet":
        try:
            return pq.read_schema(path).names
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise ContractError(f"{path}: not a readable Parquet file ({exc})") from exc
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return next(csv.reader(handle), [])
    except UnicodeDecodeError as exc:
        raise ContractError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc


def raw_files(raw_dir: Path, entity: str) -> list[Path]:
    folder = raw_dir / entity
    if not folder.is_dir():
        raise ContractError(f"{folder}: the folder for raw entity '{entity}' is missing")
    # files directly in the folder or in subfolders (e.g. one per month); dot names are skipped
    files = sorted(p for p in folder.rglob("*") if p.is_file()
                   and not any(part.startswith(".") for part in p.relative_to(folder).parts))
    for path in files:
        if path.suffix.lower() not in (".csv", ".parquet"):
            raise ContractError(f"{path}: raw files must be .csv or .parquet; move this file out")
    if not files:
        raise ContractError(f"{folder}: raw entity '{entity}' has no .csv or .parquet file")
    return files


def check_raw(raw_dir: Path) -> dict[str, int]:
    """Check every entity folder's structure; returns the number of files per entity."""
    counts = {}
    for entity, columns in load_contract().items():
        files = raw_files(raw_dir, entity)
        required = [c.name for c in columns if c.required]
        for path in files:
            present = set(file_columns(path))
            missing = [name for name in required if name not in present]
            if missing:
                raise ContractError(
                    f"{path}: required column{'s' if len(missing) > 1 else ''} "
                    f"{', '.join(repr(m) for m in missing)} missing (header has: "
                    f"{', '.join(sorted(present)) or 'nothing'})")
        counts[entity] = len(files)
    return counts


def has_raw_data(raw_dir: Path) -> bool:
    """True when any entity folder holds a file (an empty raw folder gets demo data)."""
    return any((raw_dir / e).is_dir() and any(p.is_file() for p in (raw_dir / e).rglob("*"))
               for e in load_contract())


def reset_raw_dir(raw_dir: Path) -> None:
    """Empty every entity folder of its CSV and Parquet files (before writing new data)."""
    for entity in load_contract():
        folder = raw_dir / entity
        folder.mkdir(parents=True, exist_ok=True)
        for old in [*folder.rglob("*.csv"), *folder.rglob("*.parquet")]:
            old.unlink()
        for sub in sorted((d for d in folder.rglob("*") if d.is_dir()), reverse=True):
            if not any(sub.iterdir()):
                sub.rmdir()
