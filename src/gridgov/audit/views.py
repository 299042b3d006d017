"""Pages of the audit app: thin views over queries and actions."""
