"""The sandbox's own error type: one Binance error answer (code, message, HTTP status)."""

from __future__ import annotations

from collections.abc import Mapping


class ApiError(Exception):
    """A Binance error reply the sandbox sends instead of a result.

    :param code: Binance's error code, e.g. ``-1121``.
    :param msg: Binance's message, e.g. ``"Invalid symbol."``.
    :param status: HTTP status of the reply.
    :param headers: extra response headers (``Retry-After``...).
    :param data: extra ``error.data`` for WebSocket API replies.
    """

    def __init__(
        self,
        code: int,
        msg: str,
        status: int = 400,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.headers = dict(headers or {})
        self.data = dict(data) if data else None

    def body(self) -> dict[str, object]:
        """The REST error body.

        :returns: ``{"code": ..., "msg": ...}``.
        """
        return {"code": self.code, "msg": self.msg}


def mandatory(name: str) -> ApiError:
    """-1102 for a missing parameter.

    :param name: parameter name.
    :returns: the error.
    """
    return ApiError(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def illegal(name: str, legal: str) -> ApiError:
    """-1100 for a malformed parameter value.

    :param name: parameter name.
    :param legal: the legal range Binance prints.
    :returns: the error.
    """
    return ApiError(
        -1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'."
    )


def invalid_symbol() -> ApiError:
    """-1121 for an unknown symbol.

    :returns: the error.
    """
    return ApiError(-1121, "Invalid symbol.")


def filter_failure(name: str) -> ApiError:
    """-1013 for a failed exchange filter, with Binance's exact text.

    :param name: filter type, e.g. ``"LOT_SIZE"``.
    :returns: the error.
    """
    return ApiError(-1013, f"Filter failure: {name}")


def rejected(msg: str) -> ApiError:
    """-2010 NEW_ORDER_REJECTED with the matching engine's reason.

    :param msg: the reason (errors.md §4).
    :returns: the error.
    """
    return ApiError(-2010, msg)
