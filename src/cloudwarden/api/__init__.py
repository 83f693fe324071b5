"""The HTTP API: `create_app(settings)` (app.py), served by `cloudwarden serve`.

Routers are thin: they parse, call a flow or a service inside the request's transaction
(deps.SessionDep) and return a schema. Errors, browser protections and the body limit are the
app's, not each router's (errors.py, security.py).
"""
