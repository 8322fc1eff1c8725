"""The secretaries' web admin: layout, dashboard, audit log and shared view helpers."""
