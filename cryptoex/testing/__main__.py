"""``python -m cryptoex.testing``: run a FakeBinance until Ctrl-C (or SIGTERM) and print
how to reach it."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from cryptoex.testing._fake import FakeBinance
from cryptoex.testing._markets import BUILTIN_MARKETS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cryptoex.testing",
        description="Run a Binance-compatible sandbox on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--seed", type=int, default=0, help="market seed (default 0)")
    parser.add_argument(
        "--symbols",
        default=",".join(spec.symbol for spec in BUILTIN_MARKETS),
        help="comma-separated markets (default: all built-in)",
    )
    parser.add_argument(
        "--message-rate", type=float, default=10.0, help="market ticks per second (default 10)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Start a sandbox, print its URLs and keys, block until interrupted, stop it.

    :param argv: command-line arguments (default ``sys.argv[1:]``).
    :returns: the exit status.
    """
    args = _parser().parse_args(argv)
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    symbols = [s.strip().upper() for s in args.symbols.split(",") if s.strip()]
    try:
        fake = FakeBinance(seed=args.seed, symbols=symbols, message_rate=args.message_rate)
    except (TypeError, ValueError) as exc:
        _parser().error(str(exc))
    # Both signals only set the stop event, so an interrupt that lands anywhere
    # (even between starting the servers and the wait below) ends the loop and
    # stops the sandbox cleanly instead of raising out of the with block.
    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    with fake:
        print("FakeBinance is running (Ctrl-C to stop)")
        print(f"REST:          {fake.rest_url}")
        print(f"Streams:       {fake.ws_url}")
        print(f"WebSocket API: {fake.ws_api_url}")
        print(f"API key:       {fake.api_key}")
        print(f"API secret:    {fake.api_secret}")
        print(f"Markets:       {', '.join(symbols)}", flush=True)
        # A short timed wait, so the signal handler runs promptly on every platform.
        while not stop.wait(0.2):
            pass
    for sig, handler in previous.items():
        signal.signal(sig, handler)
    print("FakeBinance stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
