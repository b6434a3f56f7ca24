"""`apistages check`: contract checks over a loaded config and the gateway built from it."""
