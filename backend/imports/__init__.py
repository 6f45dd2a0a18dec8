"""CSV imports, all or nothing: the roster (roster.py: a number that changes owner ends the old
owner's conversation, so this sits above sessions), recommendations and actions (catalog.py),
and the shared file reading with `file:line: column "value": problem` reports (csvfile.py)."""
