"""The real CDNOW transaction data (shipped in lifetimes' package data) in the raw contract.

One customer per CDNOW id, one completed order per transaction line (id, date, CDs, dollars).
Everything else about the customers is unknown and stays empty; contacts and surveys are empty
files (header only), so the warehouse runs on revenue alone.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

from kam import contract

FILES = {"cdnow": "CDNOW_sample.txt", "cdnow-master": "CDNOW_master.txt"}


def _dataset(name: str) -> Path:
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.origin:
        raise contract.ContractError("the CDNOW data ships with the lifetimes package: run `make setup`")
    return Path(spec.origin).parent / "datasets" / FILES[name]


def transactions(name: str) -> pd.DataFrame:
    """customer_id, order_date, cds, dollars of the CDNOW sample (2,357) or master (23,570)."""
    path = _dataset(name)
    if name == "cdnow":
        columns = ["customer_id", "sample_id", "date", "cds", "dollars"]
        frame = pd.read_csv(path, sep=r"\s+", header=None, names=columns, dtype={"customer_id": str, "date": str})
    else:
        frame = pd.read_csv(path, sep=r"\s+", skiprows=1, header=None,
                            names=["customer_id", "date", "cds", "dollars"],
                            dtype={"customer_id": str, "date": str})
    frame["order_date"] = pd.to_datetime(frame.date, format="%Y%m%d").dt.date
    return frame[["customer_id", "order_date", "cds", "dollars"]]


def write(raw_dir: Path, name: str) -> dict[str, int]:
    data = transactions(name)
    entities = contract.load_contract()
    contract.reset_raw_dir(raw_dir)
    first = data.groupby("customer_id").order_date.min()
    customers = pd.DataFrame({"customer_id": first.index, "created_date": first.to_numpy()})
    orders = pd.DataFrame({
        "order_id": data.customer_id + "-" + data.groupby("customer_id").cumcount().add(1).astype(str),
        "customer_id": data.customer_id,
        "order_date": data.order_date,
        "status": "completed",
        "revenue": data.dollars.round(2),
        "quantity": data.cds,
    })
    tables = {"customers": customers, "orders": orders}
    written = {}
    for entity, columns in entities.items():
        frame = tables.get(entity, pd.DataFrame())
        frame = frame.reindex(columns=[c.name for c in columns if c.required or c.name in frame])
        frame.to_csv(raw_dir / entity / f"{name}.csv", index=False)
        written[entity] = len(frame)
    return written
