"""How healthy the pipeline and this server are, in one vocabulary (ok, warn, bad,
unknown) shared by the Overview page and ``GET /api/v1/health``.

Knows no Panel and no Tornado: view-models and API handlers both import it.
"""
