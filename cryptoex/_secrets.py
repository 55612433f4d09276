"""Keeping credentials out of reprs, logs and exceptions.

:class:`Secret` holds the API secret and shows only a mask; the value is
unwrapped only by the signing code. :func:`mask` shortens an API key for
display. :class:`RedactingFilter` scrubs signatures and secret-bearing
parameters from log records of the libraries below us (urllib3 logs full
request targets at DEBUG).
"""

from __future__ import annotations

import hmac
import logging
import re
import threading
from typing import Any, NoReturn

__all__ = ["MASK", "RedactingFilter", "Secret", "install_redaction", "mask"]

MASK = "********"


class Secret:
    """A credential that never shows itself.

    ``repr()`` and ``str()`` print a mask, so a traceback that shows local
    variables, a debugger or a log line cannot reveal it. It refuses to be
    pickled. Only :meth:`reveal` returns the value.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("a secret must be a str")
        self._value = value

    def reveal(self) -> str:
        """Return the real value. Only the signing code calls this."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    def __str__(self) -> str:
        return MASK

    def __format__(self, format_spec: str) -> str:
        return MASK

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, len(self._value)))

    def __reduce__(self) -> NoReturn:
        raise TypeError("cryptoex secrets cannot be pickled")


def mask(key: str) -> str:
    """Shorten an API key for display: ``"vmPU…Eh8A"``.

    Keys shorter than 12 characters are masked completely.
    """
    if len(key) < 12:
        return MASK
    return f"{key[:4]}…{key[-4:]}"


# signature=<hex or percent-encoded base64>, and the WebSocket API's
# "signature": "<...>" in a JSON request.
_SIGNATURE_RE = re.compile(r"(signature=)[^&\s\"']+|(\"signature\"\s*:\s*\")[^\"]*", re.IGNORECASE)


def redact(text: str) -> str:
    """Replace every signature value in *text* with a mask."""
    return _SIGNATURE_RE.sub(lambda m: (m.group(1) or m.group(2)) + MASK, text)


class RedactingFilter(logging.Filter):
    """A logging filter that masks signatures in a record's message and
    arguments. Attached to the loggers of the libraries below cryptoex by
    :func:`install_redaction`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "ignature" in record.msg:
            record.msg = redact(record.msg)
        if record.args:
            if isinstance(record.args, dict):
                record.args = {k: _redact_arg(v) for k, v in record.args.items()}
            else:
                record.args = tuple(_redact_arg(a) for a in record.args)
        return True


def _redact_arg(arg: Any) -> Any:
    if isinstance(arg, str) and "ignature" in arg:
        return redact(arg)
    if isinstance(arg, bytes) and b"ignature" in arg:
        return redact(arg.decode("utf-8", "replace"))
    return arg


_installed = False
_install_lock = threading.Lock()
#: Loggers below cryptoex that may print request targets or frames.
REDACTED_LOGGERS = ("urllib3.connectionpool", "urllib3.connection", "websocket")


def install_redaction() -> None:
    """Attach :class:`RedactingFilter` to the loggers of urllib3 and
    websocket-client (once per process). Called by the clients on first use."""
    global _installed
    with _install_lock:
        if _installed:
            return
        for name in REDACTED_LOGGERS:
            logging.getLogger(name).addFilter(RedactingFilter())
        _installed = True
