"""``newstrace serve``: the REST API and web app over an index (FastAPI + uvicorn).

``create_app(ServiceConfig(...))`` gives the ASGI application; the routes call the same
pipeline functions as the CLI, through the one adapter module ``engine``.
"""

from __future__ import annotations

from newstrace.service.app import create_app
from newstrace.service.config import ServiceConfig

__all__ = ["ServiceConfig", "create_app"]
