"""The command line: typer only, one module per command group, one error boundary."""
