"""Processes: what a worker process that a command starts (publish's page renderers, the audit's second half) does so
that it leaves Ctrl-C to its parent and ends with it."""
