"""Long-running data services the CLI runs (data layer: no Panel)."""
