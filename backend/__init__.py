"""Storage, web and jobs: the only package that wires `bot` and `conversations` together."""
