"""The dashboard at ``/ui/``: a static page over the API (plugin ``ui``)."""
