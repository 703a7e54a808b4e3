"""JSON and file endpoints served beside the pages (Tornado handlers)."""
