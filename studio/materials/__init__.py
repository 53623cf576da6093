"""The HQ material library as files (library/templates/*.yaml): load, validate, import, export."""
