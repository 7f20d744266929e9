"""wres command line: typer commands, one module per command; formatting and exit codes here."""
