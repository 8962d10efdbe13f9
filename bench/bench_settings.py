"""Settings for the API benchmark: the product's settings plus a raw-SQL reference view."""

from kundenwert.config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bench_urls"
