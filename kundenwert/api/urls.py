"""The REST API at /api/v1/: OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs."""

from ninja import NinjaAPI

from . import catalog, errors, leads, orders, sales
from .auth import AUTH
from .routers import activities, affiliations, audit, directory, organizations, people, search

api = NinjaAPI(
    title="Kundenwert API",
    version="1",
    description=(
        "The REST API of Kundenwert. Authenticate with `Authorization: Bearer <token>` "
        "(`kundenwert token create USERNAME`) or the browser session (with CSRF). Lists are "
        "keyset-paginated: pass `next_cursor` as `cursor`. Errors are "
        '`{"code", "detail", "errors": {field: [messages]}}`.'
    ),
    auth=AUTH,
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)
api.add_router("/organizations", organizations)
api.add_router("/people", people)
api.add_router("/affiliations", affiliations)
api.add_router("/activities", activities)
api.add_router("/", directory)
api.add_router("/audit", audit)
api.add_router("/search", search)
api.add_router("/catalog", catalog.products)
api.add_router("/pipelines", sales.pipelines)
api.add_router("/deals", sales.deals)
api.add_router("/leads", leads.leads)
api.add_router("/orders", orders.orders)
api.add_router("/invoices", orders.invoices)
api.add_router("/subscriptions", orders.subscriptions)
