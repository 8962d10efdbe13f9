"""Customer-value (CLV) models: pure numpy/scipy, no Django.

Models (each a module with fit, predictions and a simulator):
bgnbd, mbgnbd, paretonbd (non-contractual, continuous time), bgbb (discrete opportunities),
sbg (contracts), gammagamma (spend). Transaction logs become model input via summary.summarize;
value.customer_value fits and scores a whole customer base.
"""

from . import bgbb, bgnbd, gammagamma, mbgnbd, paretonbd, sbg
from ._fit import FitResult, compress_rows
from ._special import log_hyp2f1
from .summary import UNIT_DAYS, Summary, summarize
from .value import CustomerValue, annual_to_unit_rate, customer_value

__all__ = [
    "UNIT_DAYS",
    "CustomerValue",
    "FitResult",
    "Summary",
    "annual_to_unit_rate",
    "bgbb",
    "bgnbd",
    "compress_rows",
    "customer_value",
    "gammagamma",
    "log_hyp2f1",
    "mbgnbd",
    "paretonbd",
    "sbg",
    "summarize",
]
