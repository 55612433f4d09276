from __future__ import annotations

import logging
import pickle
import traceback

import pytest

from cryptoex._secrets import MASK, RedactingFilter, Secret, install_redaction, mask, redact

SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"


def test_secret_never_shows_itself() -> None:
    s = Secret(SECRET)
    assert SECRET not in repr(s)
    assert SECRET not in str(s)
    assert SECRET not in f"{s}"
    assert SECRET not in repr([s, {"k": s}])
    assert s.reveal() == SECRET
    assert s == Secret(SECRET)
    assert s != Secret("other")
    assert s != SECRET
    assert hash(s) == hash(Secret(SECRET))
    assert bool(s)
    with pytest.raises(TypeError):
        pickle.dumps(s)
    with pytest.raises(TypeError):
        Secret(123)  # type: ignore[arg-type]


def test_secret_absent_from_traceback_locals() -> None:
    def fail(secret: Secret) -> None:
        raise RuntimeError("boom")

    try:
        fail(Secret(SECRET))
    except RuntimeError as exc:
        tb = traceback.TracebackException.from_exception(exc, capture_locals=True)
        text = "".join(tb.format())
    assert MASK in text
    assert SECRET not in text


def test_mask() -> None:
    key = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
    assert mask(key) == "vmPU…Eh8A"
    assert mask("short") == MASK


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /api/v3/account?timestamp=1&signature=abc123 HTTP/1.1", f"signature={MASK} HTTP"),
        ('{"params": {"signature": "a+b/c="}}', f'"signature": "{MASK}"'),
        ("a=1&signature=ff&b=2", f"signature={MASK}&b=2"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert expected in redact(text)


def test_filter_redacts_args_and_message(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("cryptoex.tests.redact")
    logger.addFilter(RedactingFilter())
    try:
        with caplog.at_level(logging.DEBUG, logger="cryptoex.tests.redact"):
            logger.debug('"%s %s" %s', "GET", "/x?signature=deadbeef", 200)
            logger.debug("raw /y?signature=cafe")
            logger.debug("bytes %s", b"signature=beef")
            logger.debug("mapping %(a)s", {"a": "signature=feed"})
    finally:
        logger.filters.clear()
    text = "\n".join(r.getMessage() for r in caplog.records)
    for leaked in ("deadbeef", "cafe", "beef", "feed"):
        assert leaked not in text


def test_install_redaction_once() -> None:
    install_redaction()
    install_redaction()
    filters = logging.getLogger("urllib3.connectionpool").filters
    assert sum(isinstance(f, RedactingFilter) for f in filters) == 1
