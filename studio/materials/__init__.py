"""The HQ material library as files (library/templates/*.yaml): load, validate, export, stats, search.
Writing it into the database is a use case: `studio.services.library_import`."""
