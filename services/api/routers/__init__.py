"""Routers of the REST service, one module per resource."""
