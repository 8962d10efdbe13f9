"""REST resources of the catalogue: products, tax rates, price lists and prices, exchange rates.

Amounts travel as JSON strings ("1234.50"), never as numbers: a JSON number is read as a binary
float by most clients. A number, NaN or Infinity where an amount belongs is a 422 field error.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Annotated, Literal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Header, Path, Query, Router, Schema
from pydantic import AfterValidator, Field, StrictBool

from kundenwert.catalog import selectors, services
from kundenwert.catalog.models import Price, PriceList, Product, TaxRate, product_name
from kundenwert.core.errors import DomainError, ValidationError
from kundenwert.core.money import minor_units

from .auth import reader, writer
from .common import expected_version, json, page_response, query_params
from .routers import IF_MATCH_HELP, ListQuery, responses
from .schemas import MAX_ID, Id, Problem, Strict, Text

products = Router(tags=["catalogue"])

# --- shapes --------------------------------------------------------------------------------------


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


# A decimal number written as a JSON string. Signs, places and size are checked by the service,
# so that the messages name the rule ("cannot be negative", "at most 4 decimal places").
Amount = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        pattern=r"^-?[0-9]+(\.[0-9]+)?$",
        description='A decimal number as a string, e.g. "1234.50"; JSON numbers are refused',
        examples=["1234.50"],
    ),
]
Currency = Annotated[
    str,
    Field(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$", description="ISO 4217 code"),
    AfterValidator(_no_nul),
]
BillingPeriod = Literal["", "month", "quarter", "year"]


class TaxRateOut(Schema):
    id: int
    name: str = Field(description="The stored name (what PATCH changes)")
    display_name: str = Field(description="The name in the request's language")
    rate: str = Field(description='Percent, e.g. "19.00"')
    is_default: bool
    preset: Literal["", "standard", "reduced", "exempt"]
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class TaxRateList(Schema):
    items: list[TaxRateOut]
    next_cursor: str | None


class TaxRateIn(Strict):
    name: Text(100, 1)
    rate: Amount = Field(description='Percent from "0" to "100", at most 2 decimal places')
    is_default: StrictBool = False


class TaxRatePatch(Strict):
    name: Text(100, 1) | None = None
    rate: Amount | None = None
    is_default: StrictBool | None = None


class ProductOut(Schema):
    id: int
    sku: str
    name: str = Field(description="The name in the request's language, else the other one")
    name_de: str
    name_en: str
    description_de: str
    description_en: str
    unit: str
    tax_rate_id: int
    tax_rate: str = Field(description='The tax rate in percent, e.g. "19.00"')
    cost_price: str | None
    cost_currency: str
    is_recurring: bool
    billing_period: BillingPeriod
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class ProductList(Schema):
    items: list[ProductOut]
    next_cursor: str | None


class ProductIn(Strict):
    sku: Text(64, 1) = Field(description="Unique, whatever the case")
    name_de: Text(200) = Field("", description="German name; a name in one language is required")
    name_en: Text(200) = ""
    description_de: Text(10_000) = ""
    description_en: Text(10_000) = ""
    unit: Text(30, 1) = Field("piece", description="piece, hour, day, month, licence, … (free)")
    tax_rate_id: Id | None = Field(None, description="Defaults to the default tax rate")
    cost_price: Amount | None = Field(None, description="Net cost per unit, for margins")
    cost_currency: Currency | None = Field(None, description="Defaults to the base currency")
    is_recurring: StrictBool = False
    billing_period: BillingPeriod = Field("", description="Required for a recurring product")


class ProductPatch(Strict):
    sku: Text(64, 1) | None = None
    name_de: Text(200) | None = None
    name_en: Text(200) | None = None
    description_de: Text(10_000) | None = None
    description_en: Text(10_000) | None = None
    unit: Text(30, 1) | None = None
    tax_rate_id: Id | None = None
    cost_price: Amount | None = None
    cost_currency: Currency | None = None
    is_recurring: StrictBool | None = None
    billing_period: BillingPeriod | None = None


class PriceListOut(Schema):
    id: int
    name: str
    currency: str
    valid_from: dt.date
    valid_until: dt.date | None
    is_default: bool
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class PriceListList(Schema):
    items: list[PriceListOut]
    next_cursor: str | None


class PriceListIn(Strict):
    name: Text(100, 1)
    currency: Currency
    valid_from: dt.date | None = Field(None, description="Defaults to today")
    valid_until: dt.date | None = Field(None, description="Open-ended when empty")
    is_default: StrictBool = Field(False, description="The default list of its currency")


class PriceListPatch(Strict):
    name: Text(100, 1) | None = None
    currency: Currency | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    is_default: StrictBool | None = None


class PriceOut(Schema):
    price_list_id: int
    product_id: int
    sku: str
    name: str
    unit_price: str = Field(description="Net, in the list's currency")
    currency: str
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class PriceListPrices(Schema):
    items: list[PriceOut]
    next_cursor: str | None


class PriceIn(Strict):
    unit_price: Amount = Field(description="Net unit price, ≥ 0, at most 4 decimal places")


class ExchangeRateOut(Schema):
    id: int
    currency: str
    date: dt.date
    rate: str = Field(description="Units of `currency` per 1 unit of `base_currency`")
    base_currency: str
    created_at: dt.datetime
    updated_at: dt.datetime


class ExchangeRateList(Schema):
    items: list[ExchangeRateOut]
    next_cursor: str | None


class ExchangeRateIn(Strict):
    currency: Currency
    date: dt.date
    rate: Amount = Field(description="Units of `currency` per 1 unit of the base currency, > 0")


class ImportResult(Schema):
    created: int
    updated: int
    unchanged: int


class ProductQuery(ListQuery):
    q: str | None = Field(None, description="Search SKUs and names (≥ 2 chars)")
    sort: str | None = Field(
        None, description="name (default), -name, sku, -sku, updated, -updated"
    )
    archived: bool | None = Field(None, description="true: archived only; default: active only")
    recurring: bool | None = None
    tax_rate: int | None = Field(None, ge=1, le=MAX_ID, description="tax rate id")


class TaxRateQuery(ListQuery):
    sort: str | None = Field(None, description="-rate (default), rate, name, -name")
    archived: bool | None = None


class PriceListQuery(ListQuery):
    sort: str | None = Field(None, description="name (default), -name, valid_from, updated, …")
    archived: bool | None = None
    currency: str | None = Field(None, description="ISO 4217 code")
    valid_on: dt.date | None = Field(None, description="Only lists valid on this day")
    default: bool | None = None


class PriceQuery(ListQuery):
    sort: str | None = Field(None, description="sku (default), -sku, updated, -updated")


class ExchangeRateQuery(ListQuery):
    sort: str | None = Field(None, description="-date (default), date, currency, -currency")
    currency: str | None = Field(None, description="ISO 4217 code")
    since: dt.date | None = Field(None, description="Rates dated on or after this day")
    until: dt.date | None = Field(None, description="Rates dated on or before this day")


# --- presenting ----------------------------------------------------------------------------------


def amount_text(value: Decimal | None, currency: str) -> str | None:
    """Write an amount exactly, with at least the currency's minor units: 1234.5 → "1234.50"."""
    if value is None:
        return None
    places = max(minor_units(currency), -value.normalize().as_tuple().exponent)
    return f"{value.quantize(Decimal(1).scaleb(-places)):f}"


def _rate_text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _tax_rate_dict(rate: TaxRate) -> dict:
    return {
        "id": rate.pk,
        "name": rate.name,
        "display_name": rate.display_name,
        "rate": f"{rate.rate:.2f}",
        "is_default": rate.is_default,
        "preset": rate.preset,
        "archived_at": rate.archived_at,
        "created_at": rate.created_at,
        "updated_at": rate.updated_at,
        "version": rate.version,
    }


PRODUCT_COLUMNS = (
    "id", "sku", "name", "name_de", "name_en", "description_de", "description_en", "unit",
    "tax_rate_id", "tax_rate__rate", "cost_price", "cost_currency", "is_recurring",
    "billing_period", "archived_at", "created_at", "updated_at", "version",
)  # fmt: skip


def _product_row(row: dict) -> dict:
    """A row of `product_list(values=PRODUCT_COLUMNS)` in the API shape."""
    out = {k: v for k, v in row.items() if k != "tax_rate__rate"}
    out["tax_rate"] = f"{row['tax_rate__rate']:.2f}"
    out["cost_price"] = amount_text(row["cost_price"], row["cost_currency"])
    return out


def _product_dict(product: Product) -> dict:
    row = {c: getattr(product, c) for c in PRODUCT_COLUMNS if c not in {"name", "tax_rate__rate"}}
    return _product_row(
        {**row, "name": product_name(product), "tax_rate__rate": product.tax_rate.rate}
    )


def _price_list_dict(price_list: PriceList) -> dict:
    fields = ("id", "name", "currency", "valid_from", "valid_until", "is_default", "archived_at",
              "created_at", "updated_at", "version")  # fmt: skip
    return {f: getattr(price_list, f) for f in fields}


def _price_dict(price: Price) -> dict:
    currency = price.price_list.currency
    return {
        "price_list_id": price.price_list_id,
        "product_id": price.product_id,
        "sku": price.product.sku,
        "name": product_name(price.product),
        "unit_price": amount_text(price.unit_price, currency),
        "currency": currency,
        "created_at": price.created_at,
        "updated_at": price.updated_at,
        "version": price.version,
    }


def _exchange_rate_dict(rate) -> dict:
    return {
        "id": rate.pk,
        "currency": rate.currency,
        "date": rate.date,
        "rate": _rate_text(rate.rate),
        "base_currency": selectors.base_currency(),
        "created_at": rate.created_at,
        "updated_at": rate.updated_at,
    }


def _id(description: str):
    return Path(..., ge=1, le=MAX_ID, description=description)


def _if_match():
    return Header(None, alias="If-Match", description=IF_MATCH_HELP)


def _created(data: dict, etag: str | None = None) -> HttpResponse:
    return json(data, status=201, etag=etag)


# --- products ------------------------------------------------------------------------------------


@products.get("/products", response=responses({200: ProductList}), summary="List products")
def list_products(request, filters: Query[ProductQuery]):
    page = selectors.product_list(
        viewer=reader(request), params=query_params(request), values=PRODUCT_COLUMNS
    )
    return page_response(page, [_product_row(row) for row in page.rows])


@products.post("/products", response=responses({201: ProductOut}), summary="Create a product")
def create_product(request, payload: ProductIn):
    product = services.product_create(actor=writer(request), data=payload.dict(exclude_unset=True))
    return _created(_product_dict(product), product.etag)


@products.get(
    "/products/{product_id}", response=responses({200: ProductOut}), summary="Get a product"
)
def get_product(request, product_id: int = _id("product id")):
    product = selectors.product_get(viewer=reader(request), product_id=product_id)
    return json(_product_dict(product), etag=product.etag)


@products.patch(
    "/products/{product_id}", response=responses({200: ProductOut}), summary="Change a product"
)
def update_product(
    request,
    payload: ProductPatch,
    product_id: int = _id("product id"),
    if_match: str | None = _if_match(),
):
    actor = writer(request)
    product = services.product_update(
        actor=actor,
        product_id=product_id,
        data=payload.dict(exclude_unset=True),
        expected_version=expected_version(request, product_id),
    )
    product = selectors.product_get(viewer=actor, product_id=product.pk)
    return json(_product_dict(product), etag=product.etag)


@products.delete(
    "/products/{product_id}", response=responses({200: ProductOut}), summary="Archive a product"
)
def archive_product(request, product_id: int = _id("product id")):
    product = services.product_archive(actor=writer(request), product_id=product_id)
    return json(_product_dict(product), etag=product.etag)


@products.post(
    "/products/{product_id}/restore",
    response=responses({200: ProductOut}),
    summary="Restore an archived product",
)
def restore_product(request, product_id: int = _id("product id")):
    product = services.product_restore(actor=writer(request), product_id=product_id)
    return json(_product_dict(product), etag=product.etag)


# --- tax rates -----------------------------------------------------------------------------------


@products.get("/tax-rates", response=responses({200: TaxRateList}), summary="List tax rates")
def list_tax_rates(request, filters: Query[TaxRateQuery]):
    page = selectors.tax_rate_list(viewer=reader(request), params=query_params(request))
    return page_response(page, [_tax_rate_dict(r) for r in page.rows])


@products.post("/tax-rates", response=responses({201: TaxRateOut}), summary="Add a tax rate")
def create_tax_rate(request, payload: TaxRateIn):
    rate = services.tax_rate_create(actor=writer(request), data=payload.dict(exclude_unset=True))
    return _created(_tax_rate_dict(rate), rate.etag)


@products.get(
    "/tax-rates/{tax_rate_id}", response=responses({200: TaxRateOut}), summary="Get a tax rate"
)
def get_tax_rate(request, tax_rate_id: int = _id("tax rate id")):
    rate = selectors.tax_rate_get(viewer=reader(request), tax_rate_id=tax_rate_id)
    return json(_tax_rate_dict(rate), etag=rate.etag)


@products.patch(
    "/tax-rates/{tax_rate_id}", response=responses({200: TaxRateOut}), summary="Change a tax rate"
)
def update_tax_rate(
    request,
    payload: TaxRatePatch,
    tax_rate_id: int = _id("tax rate id"),
    if_match: str | None = _if_match(),
):
    rate = services.tax_rate_update(
        actor=writer(request),
        tax_rate_id=tax_rate_id,
        data=payload.dict(exclude_unset=True),
        expected_version=expected_version(request, tax_rate_id),
    )
    return json(_tax_rate_dict(rate), etag=rate.etag)


@products.delete(
    "/tax-rates/{tax_rate_id}",
    response=responses({200: TaxRateOut}),
    summary="Archive a tax rate (not the default one)",
)
def archive_tax_rate(request, tax_rate_id: int = _id("tax rate id")):
    rate = services.tax_rate_archive(actor=writer(request), tax_rate_id=tax_rate_id)
    return json(_tax_rate_dict(rate), etag=rate.etag)


@products.post(
    "/tax-rates/{tax_rate_id}/restore",
    response=responses({200: TaxRateOut}),
    summary="Restore an archived tax rate",
)
def restore_tax_rate(request, tax_rate_id: int = _id("tax rate id")):
    rate = services.tax_rate_restore(actor=writer(request), tax_rate_id=tax_rate_id)
    return json(_tax_rate_dict(rate), etag=rate.etag)


# --- price lists and prices ----------------------------------------------------------------------


@products.get("/price-lists", response=responses({200: PriceListList}), summary="List price lists")
def list_price_lists(request, filters: Query[PriceListQuery]):
    page = selectors.price_list_list(viewer=reader(request), params=query_params(request))
    return page_response(page, [_price_list_dict(p) for p in page.rows])


@products.post(
    "/price-lists", response=responses({201: PriceListOut}), summary="Create a price list"
)
def create_price_list(request, payload: PriceListIn):
    data = payload.dict(exclude_unset=True)
    if data.get("valid_from", "") is None:
        del data["valid_from"]  # null means "from today", as when it is left out
    price_list = services.price_list_create(actor=writer(request), data=data)
    return _created(_price_list_dict(price_list), price_list.etag)


@products.get(
    "/price-lists/{price_list_id}",
    response=responses({200: PriceListOut}),
    summary="Get a price list",
)
def get_price_list(request, price_list_id: int = _id("price list id")):
    price_list = selectors.price_list_get(viewer=reader(request), price_list_id=price_list_id)
    return json(_price_list_dict(price_list), etag=price_list.etag)


@products.patch(
    "/price-lists/{price_list_id}",
    response=responses({200: PriceListOut}),
    summary="Change a price list",
)
def update_price_list(
    request,
    payload: PriceListPatch,
    price_list_id: int = _id("price list id"),
    if_match: str | None = _if_match(),
):
    price_list = services.price_list_update(
        actor=writer(request),
        price_list_id=price_list_id,
        data=payload.dict(exclude_unset=True),
        expected_version=expected_version(request, price_list_id),
    )
    return json(_price_list_dict(price_list), etag=price_list.etag)


@products.delete(
    "/price-lists/{price_list_id}",
    response=responses({200: PriceListOut}),
    summary="Archive a price list",
)
def archive_price_list(request, price_list_id: int = _id("price list id")):
    price_list = services.price_list_archive(actor=writer(request), price_list_id=price_list_id)
    return json(_price_list_dict(price_list), etag=price_list.etag)


@products.post(
    "/price-lists/{price_list_id}/restore",
    response=responses({200: PriceListOut}),
    summary="Restore an archived price list",
)
def restore_price_list(request, price_list_id: int = _id("price list id")):
    price_list = services.price_list_restore(actor=writer(request), price_list_id=price_list_id)
    return json(_price_list_dict(price_list), etag=price_list.etag)


@products.get(
    "/price-lists/{price_list_id}/prices",
    response=responses({200: PriceListPrices}),
    summary="List the prices of a price list",
)
def list_prices(request, filters: Query[PriceQuery], price_list_id: int = _id("price list id")):
    page = selectors.price_list_prices(
        viewer=reader(request), price_list_id=price_list_id, params=query_params(request)
    )
    return page_response(page, [_price_dict(p) for p in page.rows])


@products.put(
    "/price-lists/{price_list_id}/prices/{product_id}",
    response=responses({200: PriceOut, 201: PriceOut}),
    summary="Set a product's price on a price list",
)
def set_price(
    request,
    payload: PriceIn,
    price_list_id: int = _id("price list id"),
    product_id: int = _id("product id"),
):
    price, created = services.price_set(
        actor=writer(request),
        price_list_id=price_list_id,
        product_id=product_id,
        unit_price=payload.unit_price,
    )
    return json(_price_dict(price), status=201 if created else 200)


@products.delete(
    "/price-lists/{price_list_id}/prices/{product_id}",
    response=responses({204: None}),
    summary="Take a product off a price list",
)
def remove_price(
    request,
    price_list_id: int = _id("price list id"),
    product_id: int = _id("product id"),
):
    services.price_remove(actor=writer(request), price_list_id=price_list_id, product_id=product_id)
    return HttpResponse(status=204)


# --- exchange rates ------------------------------------------------------------------------------


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    status = 415


# Room for the multipart envelope around a file of the largest size an import takes.
_MULTIPART_OVERHEAD = 64 * 1024
_CSV_TYPES = ("text/csv", "text/plain")


@products.get(
    "/exchange-rates",
    response=responses({200: ExchangeRateList}),
    summary="List exchange rates",
)
def list_exchange_rates(request, filters: Query[ExchangeRateQuery]):
    page = selectors.exchange_rate_list(viewer=reader(request), params=query_params(request))
    return page_response(page, [_exchange_rate_dict(r) for r in page.rows])


@products.post(
    "/exchange-rates",
    response=responses({200: ExchangeRateOut, 201: ExchangeRateOut}),
    summary="Set the exchange rate of a currency on a day",
)
def set_exchange_rate(request, payload: ExchangeRateIn):
    rate, created = services.exchange_rate_set(
        actor=writer(request), currency=payload.currency, date=payload.date, rate=payload.rate
    )
    return json(_exchange_rate_dict(rate), status=201 if created else 200)


def _too_large() -> services.ImportTooLarge:
    return services.ImportTooLarge(
        _("The file is larger than %(size)d MB.") % {"size": services.CSV_MAX_BYTES // 1_000_000}
    )


def _declared_length(request) -> int:
    try:
        return int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return 0


_IMPORT_BODY = {
    "required": True,
    "content": {
        "text/csv": {
            "schema": {"type": "string"},
            "example": "currency;date;rate\nUSD;2026-01-02;1,0823\n",
        },
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
    },
}


@products.post(
    "/exchange-rates/import",
    response=responses({200: ImportResult, 415: Problem}),
    summary="Import exchange rates from CSV, all or nothing",
    description=(
        "A CSV with the header `currency,date,rate` (`;` as separator and a decimal comma "
        "such as `1,0823` work too; dates as 2026-01-31 or 31.01.2026), sent as the `text/csv` "
        "body or as the `file` of a multipart form, at most 2 MB. Every line is checked first: "
        "any bad line (or a currency and day given twice) refuses the whole file with a 422 "
        "whose `errors` are keyed `line N`. Rates of days already stored are replaced."
    ),
    openapi_extra={"requestBody": _IMPORT_BODY},
)
def import_exchange_rates(request):
    actor = writer(request)
    if request.content_type == "multipart/form-data":
        if _declared_length(request) > services.CSV_MAX_BYTES + _MULTIPART_OVERHEAD:
            raise _too_large()
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": [_("Attach the CSV file as “file”.")]})
        if upload.size > services.CSV_MAX_BYTES:
            raise _too_large()
        counts = services.exchange_rates_import_csv(actor=actor, file=upload)
    elif request.content_type in _CSV_TYPES:
        if _declared_length(request) > services.CSV_MAX_BYTES:
            raise _too_large()
        counts = services.exchange_rates_import_csv(actor=actor, file=io.BytesIO(request.body))
    else:
        raise UnsupportedMediaType(_("Send the CSV as text/csv or as a multipart form."))
    return json(
        {"created": counts.created, "updated": counts.updated, "unchanged": counts.unchanged}
    )
