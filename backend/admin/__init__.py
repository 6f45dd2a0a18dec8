"""The secretariat's pages, exports and read-only API. Server-rendered HTML (Jinja2) that works
without JavaScript; one stylesheet; nothing loaded from outside the server. Views call services
(backend/reports/, the domain packages); they hold no queries.

Every route needs a credential: a signed-in session (with a CSRF token on every change) for
pages and exports, a bearer token for /api. Roles are checked on the server for every route."""
