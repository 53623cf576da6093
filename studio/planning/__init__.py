"""Calendar planning and exports (pure: no Streamlit, no database)."""
