"""``exchangeInfo`` -> :class:`~cryptoex.models.symbols.SymbolInfo`, and the
checks that reject an order before it is sent.

The checks follow ``binance/rest.md`` §8 with Decimal arithmetic on the
exchange's own strings: ``PRICE_FILTER`` on price and stop price (bounds and
``price % tickSize == 0``, each rule off when its value is 0), ``LOT_SIZE`` on
every quantity, ``MARKET_LOT_SIZE`` on MARKET quantities, ``MIN_NOTIONAL`` and
``NOTIONAL`` on ``price * quantity`` (for MARKET orders only when the filter
applies to market orders and a reference price is known). Each failure is a
:class:`~cryptoex.errors.ValidationError` naming the field, the filter and the
allowed or nearest valid value.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from cryptoex._money import format_decimal
from cryptoex._time import from_ms
from cryptoex.enums import OrderType, Side, SymbolStatus
from cryptoex.errors import ParseError, ValidationError
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
    round_to_step,
)

__all__ = [
    "parse_exchange_info",
    "parse_filter",
    "parse_rate_limit",
    "parse_symbol_info",
    "validate_order",
]

_D = Decimal


def _opt_decimal(raw: Mapping[str, Any], key: str) -> Decimal | None:
    value = raw.get(key)
    return None if value is None else _D(value)


def _build_filter(raw: Mapping[str, Any]) -> SymbolFilter:
    kind = raw["filterType"]
    if kind == "PRICE_FILTER":
        return PriceFilter(
            min_price=_D(raw["minPrice"]),
            max_price=_D(raw["maxPrice"]),
            tick_size=_D(raw["tickSize"]),
        )
    if kind in ("LOT_SIZE", "MARKET_LOT_SIZE"):
        cls = LotSizeFilter if kind == "LOT_SIZE" else MarketLotSizeFilter
        return cls(
            min_qty=_D(raw["minQty"]), max_qty=_D(raw["maxQty"]), step_size=_D(raw["stepSize"])
        )
    if kind == "MIN_NOTIONAL":
        return MinNotionalFilter(
            min_notional=_D(raw["minNotional"]),
            apply_to_market=bool(raw.get("applyToMarket", True)),
            avg_price_mins=int(raw.get("avgPriceMins", 5)),
        )
    if kind == "NOTIONAL":
        return NotionalFilter(
            min_notional=_D(raw.get("minNotional", "0")),
            max_notional=_opt_decimal(raw, "maxNotional"),
            apply_min_to_market=bool(raw.get("applyMinToMarket", True)),
            apply_max_to_market=bool(raw.get("applyMaxToMarket", False)),
            avg_price_mins=int(raw.get("avgPriceMins", 5)),
        )
    if kind == "PERCENT_PRICE":
        return PercentPriceFilter(
            multiplier_up=_D(raw["multiplierUp"]),
            multiplier_down=_D(raw["multiplierDown"]),
            avg_price_mins=int(raw.get("avgPriceMins", 5)),
        )
    if kind == "PERCENT_PRICE_BY_SIDE":
        return PercentPriceBySideFilter(
            bid_multiplier_up=_D(raw["bidMultiplierUp"]),
            bid_multiplier_down=_D(raw["bidMultiplierDown"]),
            ask_multiplier_up=_D(raw["askMultiplierUp"]),
            ask_multiplier_down=_D(raw["askMultiplierDown"]),
            avg_price_mins=int(raw.get("avgPriceMins", 1)),
        )
    if kind == "ICEBERG_PARTS":
        return IcebergPartsFilter(limit=int(raw["limit"]))
    if kind == "MAX_NUM_ORDERS":
        return MaxNumOrdersFilter(max_num_orders=int(raw["maxNumOrders"]))
    if kind == "MAX_NUM_ALGO_ORDERS":
        return MaxNumAlgoOrdersFilter(max_num_algo_orders=int(raw["maxNumAlgoOrders"]))
    if kind == "MAX_NUM_ICEBERG_ORDERS":
        return MaxNumIcebergOrdersFilter(max_num_iceberg_orders=int(raw["maxNumIcebergOrders"]))
    if kind == "MAX_POSITION":
        return MaxPositionFilter(max_position=_D(raw["maxPosition"]))
    if kind == "TRAILING_DELTA":
        return TrailingDeltaFilter(
            min_trailing_above_delta=int(raw["minTrailingAboveDelta"]),
            max_trailing_above_delta=int(raw["maxTrailingAboveDelta"]),
            min_trailing_below_delta=int(raw["minTrailingBelowDelta"]),
            max_trailing_below_delta=int(raw["maxTrailingBelowDelta"]),
        )
    params = {k: v for k, v in raw.items() if k != "filterType"}
    return UnknownFilter(filter_type=str(kind), params=params)


def parse_filter(raw: Mapping[str, Any]) -> SymbolFilter:
    """One filter object (``{"filterType": ..., ...}``) as its typed class;
    unknown types become :class:`~cryptoex.models.symbols.UnknownFilter`.

    :raises ParseError: for a malformed filter.
    """
    try:
        return _build_filter(raw)
    except (KeyError, TypeError, ValueError, InvalidOperation, AttributeError) as exc:
        raise ParseError("filter", f"{type(exc).__name__}: {exc}") from None


def parse_rate_limit(raw: Mapping[str, Any]) -> RateLimit:
    """One ``rateLimits`` entry.

    :raises ParseError: for a malformed entry.
    """
    try:
        return RateLimit(
            rate_limit_type=str(raw["rateLimitType"]),
            interval=str(raw["interval"]),
            interval_num=int(raw["intervalNum"]),
            limit=int(raw["limit"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ParseError("rate limit", f"{type(exc).__name__}: {exc}") from None


def parse_symbol_info(raw: Mapping[str, Any]) -> SymbolInfo:
    """One ``exchangeInfo.symbols[]`` entry.

    :raises ParseError: for a malformed entry.
    """
    try:
        filters = tuple(parse_filter(f) for f in raw.get("filters", ()))
        by_type = {f.filter_type: f for f in filters}
        return SymbolInfo(
            symbol=str(raw["symbol"]),
            status=SymbolStatus(raw["status"]),
            base_asset=str(raw["baseAsset"]),
            quote_asset=str(raw["quoteAsset"]),
            base_asset_precision=int(raw.get("baseAssetPrecision", 8)),
            quote_asset_precision=int(raw.get("quoteAssetPrecision", raw.get("quotePrecision", 8))),
            order_types=tuple(OrderType(t) for t in raw.get("orderTypes", ())),
            iceberg_allowed=bool(raw.get("icebergAllowed", False)),
            oco_allowed=bool(raw.get("ocoAllowed", False)),
            quote_order_qty_market_allowed=bool(raw.get("quoteOrderQtyMarketAllowed", False)),
            is_spot_trading_allowed=bool(raw.get("isSpotTradingAllowed", True)),
            permissions=tuple(str(p) for p in raw.get("permissions", ())),
            filters=filters,
            price_filter=_typed(by_type.get("PRICE_FILTER"), PriceFilter),
            lot_size=_typed(by_type.get("LOT_SIZE"), LotSizeFilter),
            market_lot_size=_typed(by_type.get("MARKET_LOT_SIZE"), MarketLotSizeFilter),
            min_notional_filter=_typed(by_type.get("MIN_NOTIONAL"), MinNotionalFilter),
            notional_filter=_typed(by_type.get("NOTIONAL"), NotionalFilter),
            max_num_orders=_typed(by_type.get("MAX_NUM_ORDERS"), MaxNumOrdersFilter),
        )
    except ParseError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ParseError("symbol info", f"{type(exc).__name__}: {exc}") from None


def _typed(value: SymbolFilter | None, cls: type[Any]) -> Any:
    return value if isinstance(value, cls) else None


def parse_exchange_info(raw: Mapping[str, Any]) -> ExchangeInfo:
    """A whole ``GET /api/v3/exchangeInfo`` answer.

    :raises ParseError: for a malformed answer.
    """
    try:
        return ExchangeInfo(
            timezone=str(raw.get("timezone", "UTC")),
            server_time=from_ms(int(raw["serverTime"])),
            rate_limits=tuple(parse_rate_limit(r) for r in raw.get("rateLimits", ())),
            exchange_filters=tuple(parse_filter(f) for f in raw.get("exchangeFilters", ())),
            symbols=tuple(parse_symbol_info(s) for s in raw.get("symbols", ())),
        )
    except ParseError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ParseError("exchange info", f"{type(exc).__name__}: {exc}") from None


# --- validation -------------------------------------------------------------------------


def _fmt(value: Decimal) -> str:
    return format_decimal(value)


def _off_grid(value: Decimal, step: Decimal) -> bool:
    with localcontext() as ctx:
        ctx.prec = 80
        return value % step != 0


def _reject(
    info: SymbolInfo, field: str, value: Decimal, filter_type: str, rule: str, allowed: str
) -> ValidationError:
    return ValidationError(
        f"{field}={_fmt(value)} fails {filter_type} for {info.symbol}: {rule}",
        field=field,
        filter=filter_type,
        allowed=allowed,
    )


def _check_price(info: SymbolInfo, field: str, value: Decimal) -> None:
    pf = info.price_filter
    if value <= 0:
        raise ValidationError(
            f"{field} must be greater than 0, got {_fmt(value)}", field=field, allowed="> 0"
        )
    if pf is None:
        return
    if pf.min_price and value < pf.min_price:
        raise _reject(
            info,
            field,
            value,
            "PRICE_FILTER",
            f"must be at least {_fmt(pf.min_price)}",
            f">= {_fmt(pf.min_price)}",
        )
    if pf.max_price and value > pf.max_price:
        raise _reject(
            info,
            field,
            value,
            "PRICE_FILTER",
            f"must be at most {_fmt(pf.max_price)}",
            f"<= {_fmt(pf.max_price)}",
        )
    if pf.tick_size and _off_grid(value, pf.tick_size):
        low = round_to_step(value, pf.tick_size, "down")
        high = round_to_step(value, pf.tick_size, "up")
        nearest = f"{_fmt(low)} or {_fmt(high)}"
        raise _reject(
            info,
            field,
            value,
            "PRICE_FILTER",
            f"must be a multiple of tick size {_fmt(pf.tick_size)} (nearest valid: {nearest})",
            nearest,
        )


def _check_lot(
    info: SymbolInfo, field: str, value: Decimal, lot: LotSizeFilter | MarketLotSizeFilter
) -> None:
    name = lot.filter_type
    if lot.min_qty and value < lot.min_qty:
        raise _reject(
            info,
            field,
            value,
            name,
            f"must be at least {_fmt(lot.min_qty)}",
            f">= {_fmt(lot.min_qty)}",
        )
    if lot.max_qty and value > lot.max_qty:
        raise _reject(
            info,
            field,
            value,
            name,
            f"must be at most {_fmt(lot.max_qty)}",
            f"<= {_fmt(lot.max_qty)}",
        )
    if lot.step_size and _off_grid(value, lot.step_size):
        low = round_to_step(value, lot.step_size, "down")
        high = round_to_step(value, lot.step_size, "up")
        nearest = f"{_fmt(low)} or {_fmt(high)}"
        raise _reject(
            info,
            field,
            value,
            name,
            f"must be a multiple of step size {_fmt(lot.step_size)} (nearest valid: {nearest})",
            nearest,
        )


def _check_notional(info: SymbolInfo, notional: Decimal, is_market: bool) -> None:
    mn = info.min_notional_filter
    applies = mn is not None and mn.min_notional and (not is_market or mn.apply_to_market)
    if mn is not None and applies and notional < mn.min_notional:
        raise ValidationError(
            f"price * quantity = {_fmt(notional)} fails MIN_NOTIONAL for {info.symbol}: "
            f"must be at least {_fmt(mn.min_notional)}",
            field="quantity",
            filter="MIN_NOTIONAL",
            allowed=f">= {_fmt(mn.min_notional)}",
        )
    nf = info.notional_filter
    if nf is None:
        return
    if nf.min_notional and (not is_market or nf.apply_min_to_market) and notional < nf.min_notional:
        raise ValidationError(
            f"price * quantity = {_fmt(notional)} fails NOTIONAL for {info.symbol}: "
            f"must be at least {_fmt(nf.min_notional)}",
            field="quantity",
            filter="NOTIONAL",
            allowed=f">= {_fmt(nf.min_notional)}",
        )
    if nf.max_notional and (not is_market or nf.apply_max_to_market) and notional > nf.max_notional:
        raise ValidationError(
            f"price * quantity = {_fmt(notional)} fails NOTIONAL for {info.symbol}: "
            f"must be at most {_fmt(nf.max_notional)}",
            field="quantity",
            filter="NOTIONAL",
            allowed=f"<= {_fmt(nf.max_notional)}",
        )


def validate_order(
    info: SymbolInfo,
    *,
    side: Side,
    order_type: OrderType,
    quantity: Decimal | None = None,
    price: Decimal | None = None,
    quote_quantity: Decimal | None = None,
    stop_price: Decimal | None = None,
    iceberg_quantity: Decimal | None = None,
    reference_price: Decimal | None = None,
) -> None:
    """Check an order against *info*'s status, order types and filters.

    Argument presence (price for LIMIT types, positive quantity) is checked
    before this by the caller; here every given number is checked against the
    exchange's rules.

    :param reference_price: the price MARKET orders are valued at for the
        notional filters (last or average price); MARKET notional checks are
        skipped without it.
    :raises ValidationError: naming the field, the filter and the allowed or
        nearest valid value.
    """
    if info.status != SymbolStatus.TRADING:
        raise ValidationError(
            f"{info.symbol} is not trading (status {info.status.value}); orders are refused",
            field="symbol",
            allowed="a symbol with status TRADING",
        )
    if info.order_types and order_type not in info.order_types:
        allowed = ", ".join(t.value for t in info.order_types)
        raise ValidationError(
            f"type={order_type.value} is not allowed on {info.symbol}; allowed: {allowed}",
            field="type",
            allowed=allowed,
        )
    if price is not None:
        _check_price(info, "price", price)
    if stop_price is not None:
        _check_price(info, "stop_price", stop_price)
    is_market = order_type == OrderType.MARKET
    if quantity is not None:
        if info.lot_size is not None:
            _check_lot(info, "quantity", quantity, info.lot_size)
        if is_market and info.market_lot_size is not None:
            _check_lot(info, "quantity", quantity, info.market_lot_size)
    if iceberg_quantity is not None and info.lot_size is not None:
        _check_lot(info, "iceberg_quantity", iceberg_quantity, info.lot_size)
    if quote_quantity is not None and quote_quantity <= 0:
        raise ValidationError(
            f"quote_quantity must be greater than 0, got {_fmt(quote_quantity)}",
            field="quote_quantity",
            allowed="> 0",
        )
    if is_market:
        if quote_quantity is not None:
            _check_notional(info, quote_quantity, is_market=True)
        elif quantity is not None and reference_price is not None:
            _check_notional(info, quantity * reference_price, is_market=True)
    elif quantity is not None:
        basis = price if price is not None else stop_price
        if basis is not None:
            _check_notional(info, quantity * basis, is_market=False)
    if price is not None and reference_price is not None and not is_market:
        _check_percent_price(info, side, price, reference_price)


def _check_percent_price(info: SymbolInfo, side: Side, price: Decimal, ref: Decimal) -> None:
    for flt in info.filters:
        if isinstance(flt, PercentPriceFilter):
            low, high, name = ref * flt.multiplier_down, ref * flt.multiplier_up, "PERCENT_PRICE"
        elif isinstance(flt, PercentPriceBySideFilter):
            name = "PERCENT_PRICE_BY_SIDE"
            if side == Side.BUY:
                low, high = ref * flt.bid_multiplier_down, ref * flt.bid_multiplier_up
            else:
                low, high = ref * flt.ask_multiplier_down, ref * flt.ask_multiplier_up
        else:
            continue
        if not low <= price <= high:
            allowed = f"between {_fmt(low)} and {_fmt(high)}"
            raise _reject(
                info,
                "price",
                price,
                name,
                f"must be {allowed} (reference price {_fmt(ref)})",
                allowed,
            )
