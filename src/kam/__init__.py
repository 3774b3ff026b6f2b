"""Key-account analytics warehouse: the Python around dbt."""
