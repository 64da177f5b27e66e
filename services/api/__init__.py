"""vidmem's REST service: ``create_app`` builds the FastAPI app (``vidmem serve`` runs it)."""

from services.api.app import create_app

__all__ = ["create_app"]
