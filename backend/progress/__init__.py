"""Progress updates: a focal point's dated report on an action (or, at community level, on a
cluster), its note and indicator figure; UNDO withdraws one. models.py, service.py."""
