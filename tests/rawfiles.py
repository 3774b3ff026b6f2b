"""Hand-made raw folders for tests: small CSV texts with known good and bad rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

CUSTOMERS = """customer_id,customer_name,industry,region,city,channel,account_manager,created_date,signed_date,is_reference_account
C1,北京华信科技有限公司,government,north,Beijing,direct,Li Wei,2024-01-05,2024-01-20,true
C2,Acme Ltd,finance,east,,retail,,2024-02-01,,
C2,Acme again,finance,east,,retail,,2024-02-01,,
,No key,finance,east,,retail,,2024-02-01,,
C3,Bad channel,finance,east,,shop,,2024-02-01,,
C4,Bad created,finance,east,,retail,,2024-02-31,,
C5,Future,finance,east,,retail,,2999-01-01,,
C6,Bad flag,finance,east,,retail,,2024-02-01,,maybe
C7,No created,finance,east,,retail,,,,
"""
ORDERS = """order_id,customer_id,order_date,status,revenue,cost,discount,quantity,due_date,paid_date,paid_amount
O1,C1,2024-03-01,completed,100.00,60.00,0,1,2024-03-31,2024-03-20,100.00
O2,C2,2024-03-02,completed,50.5,40,,,,,
O3,C9,2024-03-03,completed,10,5,,,,,
O4,C1,2024-03-04,completed,-10,5,,,,,
O5,C1,2024-03-05,cancelled,-10,5,,,,,
O6,C1,2024-03-06,completed,ten,5,,,,,
O7,C1,2024-03-07,shipped,10,5,,,,,
O1,C1,2024-03-01,completed,100.00,60.00,0,1,2024-03-31,2024-03-20,100.00
O8,C3,2024-03-08,completed,10,5,,,,,
O9,,2024-03-08,completed,10,5,,,,,
"""
CONTACTS = """contact_id,customer_id,contact_date,channel,account_manager,contact_person,contact_role,personality_style,topic,outcome
K1,C1,2024-03-01 10:00:00,visit,Li Wei,Wang Fang,decision_maker,analytical,relationship,ok
K2,C1,2024-03-02,call,Li Wei,Wang Fang,,,,
K3,C1,2024-03-03,fax,Li Wei,Wang Fang,,,,
K4,C1,2024-03-04,call,Li Wei,Wang Fang,,boss,,
K5,C1,yesterday,call,Li Wei,Wang Fang,,,,
"""
SURVEYS = """response_id,customer_id,survey_date,survey_type,nps_score,csat_score,quality_score,delivery_score,service_score,price_score,churn_reason_code,comment
S1,C1,2024-05-10,relationship,9,5,5,4,4,3,,great
S2,C1,2024-05-11,relationship,11,5,,,,,,
S3,C1,2024-05-12,relationship,8,0,,,,,,
S4,C2,2024-05-13,exit,2,,,,,,price,
S5,C1,2024-05-14,relationship,nine,,,,,,,
"""

# (entity, file, row, column, reason) for every bad row above (CSV rows count the header as 1).
EXPECTED_QUARANTINE = {
    ("customers", "a.csv", 4, "customer_id", "duplicate_key"),
    ("customers", "a.csv", 5, "customer_id", "missing_key"),
    ("customers", "a.csv", 6, "channel", "invalid_code"),
    ("customers", "a.csv", 7, "created_date", "unparsable_date"),
    ("customers", "a.csv", 8, "created_date", "future_date"),
    ("customers", "a.csv", 9, "is_reference_account", "unparsable_boolean"),
    ("customers", "a.csv", 10, "created_date", "missing_value"),
    ("orders", "a.csv", 4, "customer_id", "unknown_customer"),
    ("orders", "a.csv", 5, "revenue", "negative_revenue"),
    ("orders", "a.csv", 7, "revenue", "unparsable_number"),
    ("orders", "a.csv", 8, "status", "invalid_code"),
    ("orders", "a.csv", 9, "order_id", "duplicate_key"),
    ("orders", "a.csv", 10, "customer_id", "unknown_customer"),
    ("orders", "a.csv", 11, "customer_id", "missing_value"),
    ("contacts", "a.csv", 4, "channel", "invalid_code"),
    ("contacts", "a.csv", 5, "personality_style", "invalid_code"),
    ("contacts", "a.csv", 6, "contact_date", "unparsable_date"),
    ("surveys", "a.csv", 3, "nps_score", "score_out_of_range"),
    ("surveys", "a.csv", 4, "csat_score", "score_out_of_range"),
    ("surveys", "a.csv", 6, "nps_score", "unparsable_number"),
}
STAGED = {"customers": 2, "orders": 3, "contacts": 2, "surveys": 2}


def write_raw(raw_dir: Path, texts: dict[str, str] | None = None) -> Path:
    texts = texts or {"customers": CUSTOMERS, "orders": ORDERS, "contacts": CONTACTS,
                      "surveys": SURVEYS}
    for entity, text in texts.items():
        (raw_dir / entity).mkdir(parents=True, exist_ok=True)
        (raw_dir / entity / "a.csv").write_text(text, encoding="utf-8")
    return raw_dir


def keep_columns(raw_dir: Path, entity: str, columns: list[str]) -> None:
    """Rewrite an entity's files with only the given columns (an optional column absent)."""
    for path in (raw_dir / entity).rglob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame[columns].to_csv(path, index=False)
