"""Pages of the territory app: thin views over queries and actions."""
