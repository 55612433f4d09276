"""Request parameter parsing with Binance's validation errors (-1100, -1102, -1104, ...)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Final

import orjson

from cryptoex.testing._errors import ApiError, illegal, invalid_symbol, mandatory

LONG_RANGE: Final = "^[0-9]{1,20}$"
DECIMAL_RANGE: Final = "^([0-9]{1,20})(\\.[0-9]{1,20})?$"
SYMBOLS_RANGE: Final = '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$'
_LONG: Final = re.compile(r"[0-9]{1,20}")
_DECIMAL: Final = re.compile(r"([0-9]{1,20})(\.[0-9]{1,20})?")


class Params:
    """A request's parameters (query string merged over the body) with typed getters."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = dict(values)
        self.read: set[str] = set()

    def raw(self, name: str) -> str | None:
        """The parameter as sent (empty strings count as absent).

        :param name: parameter name.
        :returns: the value or ``None``.
        """
        self.read.add(name)
        value = self.values.get(name)
        return value if value else None

    def text(self, name: str) -> str:
        """A mandatory string parameter.

        :param name: parameter name.
        :returns: the value.
        :raises ApiError: -1102 when missing.
        """
        value = self.raw(name)
        if value is None:
            raise mandatory(name)
        return value

    def long(self, name: str, required: bool = False) -> int | None:
        """A LONG parameter.

        :param name: parameter name.
        :param required: raise -1102 when absent.
        :returns: the integer, or ``None`` when absent and optional.
        :raises ApiError: -1102 / -1100.
        """
        value = self.raw(name)
        if value is None:
            if required:
                raise mandatory(name)
            return None
        if not _LONG.fullmatch(value):
            raise illegal(name, LONG_RANGE)
        return int(value)

    def decimal(self, name: str, required: bool = False) -> Decimal | None:
        """A DECIMAL parameter (plain digits with an optional fraction, no sign, no exponent).

        :param name: parameter name.
        :param required: raise -1102 when absent.
        :returns: the value, or ``None`` when absent and optional.
        :raises ApiError: -1102 / -1100 / -1111 (more than 8 decimals).
        """
        value = self.raw(name)
        if value is None:
            if required:
                raise mandatory(name)
            return None
        if not _DECIMAL.fullmatch(value):
            raise illegal(name, DECIMAL_RANGE)
        result = Decimal(value)
        if result != result.quantize(Decimal("1e-8")):
            raise ApiError(-1111, f"Parameter '{name}' has too much precision.")
        return result

    def boolean(self, name: str) -> bool | None:
        """A BOOLEAN parameter (``true``/``false``, any case).

        :param name: parameter name.
        :returns: the value or ``None`` when absent.
        :raises ApiError: -1100 for anything else.
        """
        value = self.raw(name)
        if value is None:
            return None
        if value.lower() not in ("true", "false"):
            raise illegal(name, "^(true|false)$")
        return value.lower() == "true"

    def enum(
        self, name: str, allowed: Collection[str], error: ApiError | None = None
    ) -> str | None:
        """An ENUM parameter.

        :param name: parameter name.
        :param allowed: legal values.
        :param error: error to raise for an illegal value (default -1100 naming the values).
        :returns: the value or ``None`` when absent.
        :raises ApiError: for an illegal value.
        """
        value = self.raw(name)
        if value is None:
            return None
        if value not in allowed:
            raise error or illegal(name, ", ".join(allowed))
        return value

    def symbol(self, known: Collection[str]) -> str:
        """The mandatory ``symbol`` parameter, checked against the sandbox's markets.

        :param known: the market names.
        :returns: the symbol.
        :raises ApiError: -1102 / -1121.
        """
        value = self.optional_symbol(known)
        if value is None:
            raise mandatory("symbol")
        return value

    def optional_symbol(self, known: Collection[str]) -> str | None:
        """The optional ``symbol`` parameter, checked against the sandbox's markets.

        :param known: the market names.
        :returns: the symbol or ``None``.
        :raises ApiError: -1121.
        """
        value = self.raw("symbol")
        if value is None:
            return None
        if value not in known:
            raise invalid_symbol()
        return value

    def symbols(self, known: Collection[str]) -> list[str] | None:
        """The ``symbols`` JSON-array parameter.

        :param known: the market names.
        :returns: the names, or ``None`` when absent.
        :raises ApiError: -1100 malformed, -1151 duplicates, -1121 unknown.
        """
        value = self.raw("symbols")
        if value is None:
            return None
        try:
            names = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise illegal("symbols", SYMBOLS_RANGE) from None
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or not names:
            raise illegal("symbols", SYMBOLS_RANGE)
        if len(set(names)) != len(names):
            raise ApiError(-1151, "Symbol is present multiple times in the list.")
        for name in names:
            if name not in known:
                raise invalid_symbol()
        return names

    def check_all_read(self, allowed: Collection[str]) -> None:
        """Reject parameters the endpoint does not know (Binance's -1104).

        :param allowed: every parameter the endpoint reads.
        :raises ApiError: -1104 naming how many were read and sent.
        """
        unknown = [k for k in self.values if k not in allowed]
        if unknown:
            sent = len(self.values)
            raise ApiError(
                -1104,
                f"Not all sent parameters were read; read '{sent - len(unknown)}' "
                f"parameter(s) but was sent '{sent}'.",
            )
