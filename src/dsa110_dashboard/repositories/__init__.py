"""Read (and, for operator actions, write) the pipeline's data, one module per domain.

Repositories know SQL and records; they know nothing of Panel.
"""
