"""Streamlit pages of procure: thin views over procure.workspace (all texts in French)."""
