"""The ``dsa110-dash`` command line."""
