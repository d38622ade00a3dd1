"""The command line's sub-commands that need more than argument handling: shared audit-and-write
steps, batch runs, diffs and the app launcher."""
