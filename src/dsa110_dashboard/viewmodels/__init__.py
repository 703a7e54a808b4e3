"""Page state as ``param.Parameterized`` objects: no Panel, testable without a browser."""
