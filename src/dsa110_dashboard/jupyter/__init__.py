"""The dashboard as a library in a notebook: ``dsa110_dashboard.connect`` and the views.

``connection`` opens a database and holds the notebook-facing data access (``images``,
``sources``, ``jobs``, ``qa``, ``ms``, ``cal``: DataFrames, and astropy objects where an
astronomer expects them); ``views`` builds the pages' own Viewer components from a
connection. Only ``views`` imports Panel (decision 0069).
"""
