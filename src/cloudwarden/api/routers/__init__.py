"""The API's routers, thin over the domain services; each is mounted under /api/v1 (app.V1_ROUTERS)."""
