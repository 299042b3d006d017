"""Pages of the accounts app: thin views over queries and actions."""
