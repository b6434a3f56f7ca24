"""Where an API comes from: the `apistages.yaml` config."""
