"""The scale benchmark's service: a server that starts many short-lived measured Python processes."""
