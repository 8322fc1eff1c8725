"""The member register (党员名册)."""
