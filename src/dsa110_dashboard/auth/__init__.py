"""Sign-in: who may sign in (``credentials``), the sessions and failed sign-ins they
leave in the sign-in store (``store``), and the Tornado/Bokeh glue that guards every page
and endpoint with them (``web``, ``headers``). Decision 0025.
"""
