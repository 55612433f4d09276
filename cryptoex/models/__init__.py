"""The typed models cryptoex returns and sends on its signals.

All are frozen dataclasses with ``Decimal`` money and aware UTC datetimes; see
:mod:`cryptoex.models._base` for the shared behaviour.
"""

from __future__ import annotations

from cryptoex.models._base import Model
from cryptoex.models.symbols import (
    ExchangeInfo,
    IcebergPartsFilter,
    LotSizeFilter,
    MarketLotSizeFilter,
    MaxNumAlgoOrdersFilter,
    MaxNumIcebergOrdersFilter,
    MaxNumOrdersFilter,
    MaxPositionFilter,
    MinNotionalFilter,
    NotionalFilter,
    PercentPriceBySideFilter,
    PercentPriceFilter,
    PriceFilter,
    RateLimit,
    SymbolFilter,
    SymbolInfo,
    TrailingDeltaFilter,
    UnknownFilter,
)

__all__ = [
    "ExchangeInfo",
    "IcebergPartsFilter",
    "LotSizeFilter",
    "MarketLotSizeFilter",
    "MaxNumAlgoOrdersFilter",
    "MaxNumIcebergOrdersFilter",
    "MaxNumOrdersFilter",
    "MaxPositionFilter",
    "MinNotionalFilter",
    "Model",
    "NotionalFilter",
    "PercentPriceBySideFilter",
    "PercentPriceFilter",
    "PriceFilter",
    "RateLimit",
    "SymbolFilter",
    "SymbolInfo",
    "TrailingDeltaFilter",
    "UnknownFilter",
]
