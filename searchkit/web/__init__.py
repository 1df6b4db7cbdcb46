"""Stage 8 — the web: HTTP requests -> the search page, the article view and the JSON API.

A Starlette app (``app.create_app``) served by uvicorn (``server.serve``, behind ``searchkit
serve``). Pages are rendered on the server from Jinja2 templates, so they work without JavaScript;
``static/app.js`` only enhances them. The JSON API returns the shapes of ``searchkit.render``, the
same ones ``search --json`` prints.

Modules: ``params`` (validate query parameters), ``shared`` (one refreshed searcher per process),
``pages`` (HTML), ``api`` (JSON), ``openapi`` (the API's description), ``app`` (routes, errors,
security headers), ``server`` (uvicorn). Nothing here is imported by the other commands: the web
stack loads only for ``serve``.
"""
