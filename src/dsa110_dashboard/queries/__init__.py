"""Rules for reading a request that the pages and the API share: the /images query
string and the lightcurve export's QA and file-name rules.

Both view-models and ``api/`` import from here; nothing here knows Panel or param, and
``api/`` never imports a view-model.
"""
