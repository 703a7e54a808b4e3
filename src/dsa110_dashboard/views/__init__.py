"""Panel ``Viewer`` components: widgets bound to view-models; each displays in Jupyter."""
