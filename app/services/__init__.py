"""Domain operations with the database, callable from views, the CLI, tasks and tests."""
