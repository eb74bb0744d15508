"""Streamlit pages of procure: thin views over procure.service.workspace (all texts in French)."""
