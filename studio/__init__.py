"""内容合规工作室 — content planning and compliance review studio."""
