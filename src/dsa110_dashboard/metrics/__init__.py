"""Prometheus metrics of one server (``/metrics``, decision 0064): the instruments the
handlers move, and the figures read from the database at scrape time."""
