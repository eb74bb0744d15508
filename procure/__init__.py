"""procure: social clauses in French public procurement (library; no user-interface code here)."""

__version__ = "0.1.0"
