"""Page modules: each builds one page from view components. Imported by app.py."""
