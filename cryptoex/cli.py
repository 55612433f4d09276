"""The ``cryptoex`` command line (also ``python -m cryptoex``).

Commands: ``demo`` (streaming and trading against an in-process sandbox),
``stream`` (live models of one stream kind), ``book`` (a live local order
book), ``user`` (the account's user-data events), ``account`` (balances and
open orders), ``sandbox`` (run FakeBinance standalone). Every command that
connects takes ``--testnet``, ``--sandbox`` or explicit ``--ws-url`` /
``--rest-url`` / ``--ws-api-url``; API keys come only from the environment
(``BINANCE_API_KEY``, ``BINANCE_API_SECRET``), never from the command line,
where they would land in shell history and process listings.

Callbacks run on the library's connection threads; they only put models on a
bounded queue. The main thread prints them, counts them and stops the
manager, so output never interleaves and Ctrl-C or a closed pipe stops
everything cleanly.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO

from cryptoex._cli_runtime import (
    SANDBOX_HINT,
    TICK,
    CommandError,
    Feed,
    Status,
    Target,
    connect,
    pump,
    require_sandbox,
)
from cryptoex._console import Screen, clock, describe, json_line, num
from cryptoex._version import __version__
from cryptoex.errors import ConfigurationError, CryptoExError
from cryptoex.rest.user import UserClient
from cryptoex.signals import MARKET_SIGNALS
from cryptoex.streaming.manager import StreamManager
from cryptoex.streaming.orderbook import OrderBook

__all__ = [
    "SANDBOX_HINT",
    "CommandError",
    "Feed",
    "Status",
    "Target",
    "connect",
    "main",
    "pump",
    "require_sandbox",
]

logger = logging.getLogger(__name__)

#: Stream kinds of ``cryptoex stream`` (``-`` is accepted for ``_``): one per
#: market-data signal.
STREAM_KINDS = tuple(MARKET_SIGNALS)
#: Options someone might try for credentials; refused with an explanation.
_KEY_FLAGS = frozenset(
    ("--api-key", "--api_key", "--api-secret", "--api_secret", "--key", "--secret", "--apikey")
)


# -- connection options -----------------------------------------------------------------


def _add_connection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "where to connect (default: Binance; BINANCE_TESTNET=1 selects the testnet)"
    )
    group.add_argument(
        "--sandbox",
        action="store_true",
        help="start a local FakeBinance in this process and use it (no network, no keys)",
    )
    group.add_argument("--testnet", action="store_true", help="use the Binance Spot Testnet")
    group.add_argument("--ws-url", help="stream base URL, e.g. ws://127.0.0.1:PORT")
    group.add_argument("--rest-url", help="REST base URL, e.g. http://127.0.0.1:PORT")
    group.add_argument(
        "--ws-api-url", help="WebSocket API URL (user data), e.g. ws://127.0.0.1:PORT/ws-api/v3"
    )


def _add_run_options(parser: argparse.ArgumentParser, what: str) -> None:
    group = parser.add_argument_group("output and stopping")
    group.add_argument(
        "--json", action="store_true", help=f"one JSON object per line ({what}), for piping"
    )
    group.add_argument("--count", type=_positive_int, help=f"stop after N {what}")
    group.add_argument("--duration", type=_positive_float, help="stop after SECONDS")
    group.add_argument("-q", "--quiet", action="store_true", help="no connection status on stderr")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


# -- commands -----------------------------------------------------------------------


def _kind(text: str) -> str:
    kind = text.strip().lower().replace("-", "_")
    if kind not in STREAM_KINDS:
        raise argparse.ArgumentTypeError(
            f"unknown stream kind {text!r}; choose from {', '.join(STREAM_KINDS)}"
        )
    return kind


def cmd_stream(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``cryptoex stream KIND SYMBOL...``."""
    params: dict[str, Any] = {}
    if args.kind == "kline":
        params["interval"] = args.interval
    if args.kind == "depth":
        params["levels"] = args.levels
    if args.kind in ("depth", "depth_update") and args.fast:
        params["fast"] = True
    render: Callable[[str, Any], str | None] = (
        (lambda kind, model: json_line(model)) if args.json else describe
    )
    feed = Feed()
    with connect(args) as target:
        manager = StreamManager(**target.options)
        status = Status(manager, err, quiet=args.quiet)
        decorator = getattr(manager, f"on_{args.kind}")
        decorator(*args.symbols, **params)(feed.callback(args.kind))
        names = ", ".join(s.upper() for s in args.symbols)
        status.say(f"streaming {args.kind} of {names} from {target.label}")
        # Ctrl-C is a normal way to stop: the with blocks clean up, exit 0.
        with status, manager, contextlib.suppress(KeyboardInterrupt):
            try:
                pump(feed, render, out, count=args.count, duration=args.duration)
            finally:
                status.closing()
    if feed.dropped:
        status.say(f"{feed.dropped} models were dropped: output could not keep up")
    return 0


def book_lines(book: OrderBook, depth: int, source: str) -> list[str]:
    """The terminal table of a local order book: *depth* levels a side."""
    view = book.snapshot(depth)
    state = "in sync" if book.is_synced else "syncing"
    lines = [
        f"{book.symbol} local order book from {source}: {state}, update id {view.last_update_id}",
        f"{'BID QTY':>16} {'BID':>16} | {'ASK':<16} {'ASK QTY':<16}",
    ]
    for i in range(max(len(view.bids), len(view.asks))):
        bid = view.bids[i] if i < len(view.bids) else None
        ask = view.asks[i] if i < len(view.asks) else None
        lines.append(
            f"{num(bid.quantity) if bid else '':>16} {num(bid.price) if bid else '':>16} |"
            f" {num(ask.price) if ask else '':<16} {num(ask.quantity) if ask else '':<16}"
        )
    lines.append(
        f"spread {num(book.spread())}  mid {num(book.mid_price())}  {len(book)} levels held"
    )
    return lines


def book_line(book: OrderBook) -> str:
    """One line per applied update (piped output)."""
    view = book.snapshot(1)
    bid = f"{num(view.bids[0].quantity)} @ {num(view.bids[0].price)}" if view.bids else "-"
    ask = f"{num(view.asks[0].quantity)} @ {num(view.asks[0].price)}" if view.asks else "-"
    state = "in sync" if book.is_synced else "syncing"
    return (
        f"{clock(None)}  {book.symbol:<9} bid {bid:<24} ask {ask:<24}"
        f" spread {num(book.spread())}  update {view.last_update_id} ({state})"
    )


def cmd_book(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``cryptoex book SYMBOL``: a live local order book."""
    changed = threading.Event()
    screen = Screen(out, live=None if not args.json else False)
    with connect(args) as target:
        manager = StreamManager(**target.options)
        status = Status(manager, err, quiet=args.quiet)
        book = manager.order_book(args.symbol, limit=args.limit)
        # The callback only flags the change; the main thread reads the book
        # (reads are consistent snapshots) at its own pace.
        manager.on_order_book(book.symbol)(lambda _book: changed.set())
        status.say(f"keeping the {book.symbol} order book from {target.label}")
        deadline = None if args.duration is None else time.monotonic() + args.duration
        shown = 0
        with status, manager, contextlib.suppress(KeyboardInterrupt):
            try:
                while args.count is None or shown < args.count:
                    wait = TICK if deadline is None else min(TICK, deadline - time.monotonic())
                    if wait <= 0:
                        break
                    if not changed.wait(wait):
                        continue
                    changed.clear()
                    if not book.is_synced:  # lost sync since: its levels are stale
                        continue
                    shown += 1
                    if args.json:
                        screen.line(json_line(book.snapshot(args.depth)))
                    elif screen.live:
                        screen.frame(book_lines(book, args.depth, target.label))
                    else:
                        screen.line(book_line(book))
            finally:
                status.closing()
    return 0


#: User-data event kinds, as the ``event`` field of ``cryptoex user --json``.
USER_KINDS = ("order_update", "balance_update", "account_update")


def user_json_line(kind: str, model: Any) -> str:
    """A user-data event as one JSON line: ``{"event": kind, ...fields}``
    (the model's ``from_dict`` ignores the extra ``event`` key)."""
    return json_line(model).replace("{", f'{{"event":"{kind}",', 1)


def _client_from(target: Target) -> UserClient:
    try:
        return target.user_client()
    except ConfigurationError as exc:
        raise ConfigurationError(
            f"{exc}. Export BINANCE_API_KEY and BINANCE_API_SECRET (keys are never "
            "taken from the command line), or try --sandbox"
        ) from None


def cmd_user(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``cryptoex user``: the account's user-data events as they happen."""
    render: Callable[[str, Any], str | None] = user_json_line if args.json else describe
    feed = Feed()
    with connect(args) as target:
        client = _client_from(target)
        try:
            manager = StreamManager(**target.options)
            status = Status(manager, err, quiet=args.quiet)
            with status, manager, contextlib.suppress(KeyboardInterrupt):
                try:
                    # Returns once the exchange confirmed the subscription.
                    user = manager.subscribe_user(client)
                    for kind in USER_KINDS:
                        getattr(user, f"on_{kind}")()(feed.callback(kind))
                    status.say(f"user data of {user.account} from {target.label}")
                    pump(feed, render, out, count=args.count, duration=args.duration)
                finally:
                    status.closing()
        finally:
            client.close()
    return 0


def cmd_account(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``cryptoex account``: balances and open orders (keys from the environment)."""
    with connect(args) as target:
        client = _client_from(target)
        try:
            balances = client.get_balances()
            orders = client.get_open_orders()
        finally:
            client.close()
        if args.json:
            for item in (*balances, *orders):
                out.write(json_line(item) + "\n")
            out.flush()
            return 0
        out.write(f"{client.account} on {target.label}\n")
        out.write(f"{'ASSET':<8} {'FREE':>20} {'LOCKED':>20}\n")
        for b in balances:
            out.write(f"{b.asset:<8} {num(b.free):>20} {num(b.locked):>20}\n")
        out.write(f"{len(orders)} open order(s)\n")
        for o in orders:
            side = o.side.value if o.side is not None else "?"
            kind = o.type.value if o.type is not None else "?"
            out.write(
                f"  {o.symbol} {side} {kind} {num(o.quantity)}"
                f" @ {num(o.price)}  order {o.order_id} ({o.client_order_id})\n"
            )
        out.flush()
    return 0


def cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``cryptoex demo``."""
    from cryptoex import demo

    symbols = [s for part in args.symbols for s in part.replace(",", " ").split()]
    return demo.run(
        duration=args.duration,
        symbols=symbols or list(demo.DEFAULT_SYMBOLS),
        seed=args.seed,
        out=out,
        live=False if args.plain else None,
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``cryptoex`` command."""
    parser = argparse.ArgumentParser(
        prog="cryptoex",
        description=(
            "cryptoex: Binance market data and trading from the command line. "
            "Start with 'cryptoex demo' (no network, no keys)."
        ),
        epilog=(
            "API keys are read from BINANCE_API_KEY and BINANCE_API_SECRET only, never "
            "from the command line. Docs: docs/quickstart.rst and docs/cli.rst."
        ),
    )
    parser.add_argument("--version", action="version", version=f"cryptoex {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log to stderr (-vv: debug)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="live streaming and trading against a local sandbox (no network, no keys)",
        description=(
            "Start FakeBinance on 127.0.0.1, stream tickers and trades, place, fill and "
            "cancel orders, show the user-data events, then stop by itself."
        ),
    )
    demo.add_argument(
        "--duration", type=_positive_float, default=12.0, help="seconds to run (default 12)"
    )
    demo.add_argument(
        "--symbols",
        nargs="+",
        default=[],
        metavar="SYMBOL",
        help="markets to show (default BTCUSDT ETHUSDT BNBUSDT; also ETHBTC, PEPEUSDT)",
    )
    demo.add_argument("--seed", type=int, default=7, help="sandbox market seed (default 7)")
    demo.add_argument(
        "--plain", action="store_true", help="plain lines even on a terminal (no live table)"
    )
    demo.set_defaults(handler=cmd_demo)

    stream = commands.add_parser(
        "stream",
        help="print live models of one stream kind",
        description="Print each model of a market-data stream as it arrives.",
        epilog="Example: cryptoex stream ticker BTCUSDT ETHUSDT --sandbox --count 5",
    )
    stream.add_argument("kind", type=_kind, help=f"one of: {', '.join(STREAM_KINDS)}")
    stream.add_argument("symbols", nargs="+", metavar="SYMBOL", help="e.g. BTCUSDT")
    stream.add_argument("--interval", default="1m", help="kline interval (default 1m)")
    stream.add_argument(
        "--levels", type=int, choices=(5, 10, 20), default=10, help="depth levels (default 10)"
    )
    stream.add_argument("--fast", action="store_true", help="100 ms depth streams")
    _add_connection_options(stream)
    _add_run_options(stream, "models")
    stream.set_defaults(handler=cmd_stream)

    book = commands.add_parser(
        "book",
        help="a live local order book (diff stream + REST snapshot, kept in sync)",
        description=(
            "Keep a local order book by Binance's procedure and show its top levels: "
            "a table redrawn in place on a terminal, one line per update when piped."
        ),
        epilog="Example: cryptoex book BTCUSDT --sandbox --depth 5",
    )
    book.add_argument("symbol", metavar="SYMBOL", help="e.g. BTCUSDT")
    book.add_argument(
        "--depth", type=_positive_int, default=10, help="levels a side to show (default 10)"
    )
    book.add_argument(
        "--limit", type=_positive_int, default=5000, help="snapshot depth, 1-5000 (default 5000)"
    )
    _add_connection_options(book)
    _add_run_options(book, "updates")
    book.set_defaults(handler=cmd_book)

    user = commands.add_parser(
        "user",
        help="the account's order, balance and account updates (keys from the environment)",
        description=(
            "Subscribe to the account's user-data stream over the WebSocket API and print "
            "each order update, balance update and account update as it happens. Keys come "
            "from BINANCE_API_KEY and BINANCE_API_SECRET (with --sandbox: the sandbox's)."
        ),
    )
    _add_connection_options(user)
    _add_run_options(user, "events")
    user.set_defaults(handler=cmd_user)

    account = commands.add_parser(
        "account",
        help="balances and open orders (keys from the environment)",
        description=(
            "Show the account's non-zero balances and open orders. Keys come from "
            "BINANCE_API_KEY and BINANCE_API_SECRET (with --sandbox: the sandbox's)."
        ),
    )
    _add_connection_options(account)
    account.add_argument("--json", action="store_true", help="one JSON object per line")
    account.set_defaults(handler=cmd_account)

    commands.add_parser(
        "sandbox",
        help="run FakeBinance standalone until Ctrl-C (same as python -m cryptoex.testing)",
        add_help=False,
    )
    return parser


@contextlib.contextmanager
def _logging(verbosity: int, quiet: bool, err: TextIO) -> Iterator[None]:
    """Show the library's warnings on stderr while a command runs (a
    reconnect and its reason are news on a command line); ``-v`` adds INFO,
    ``-vv`` DEBUG, ``-q`` leaves only errors. Removed afterwards, so calling
    :func:`main` in-process leaves logging as it was."""
    level = logging.ERROR if quiet else logging.WARNING
    if verbosity:
        level = logging.DEBUG if verbosity > 1 else logging.INFO
    handler = logging.StreamHandler(err)
    if verbosity:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("cryptoex: %(levelname)s: %(message)s"))
    handler.setLevel(level)
    root = logging.getLogger("cryptoex")
    previous = root.level
    root.addHandler(handler)
    root.setLevel(min(level, previous) if previous else level)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the ``cryptoex`` command line.

    :param argv: the arguments (default ``sys.argv[1:]``).
    :param out: where results go (default ``sys.stdout``).
    :param err: where status and errors go (default ``sys.stderr``).
    :returns: the exit status: 0 on success (also after Ctrl-C), 1 when the
        command failed, 2 for a usage error.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    if args_list[:1] == ["sandbox"]:
        try:
            require_sandbox()
        except CommandError as exc:
            err.write(f"cryptoex: error: {exc}\n")
            return 1
        from cryptoex.testing.__main__ import main as sandbox_main

        return sandbox_main(args_list[1:])
    secret_flags = [a for a in args_list if a.split("=", 1)[0].lower() in _KEY_FLAGS]
    if secret_flags:
        # Refuse before argparse, whose "unrecognized arguments" message
        # would echo the value, a credential, back to the terminal and logs.
        err.write(
            "cryptoex: error: API keys are read from the environment only "
            "(BINANCE_API_KEY, BINANCE_API_SECRET), never from the command line\n"
        )
        return 2
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # --help, --version, usage errors
        return int(exc.code) if isinstance(exc.code, int) else 2
    if args.command is None:
        parser.print_help(out)
        out.write("\nNew here? Run: python -m cryptoex demo\n")
        return 2
    try:
        with _logging(args.verbose, getattr(args, "quiet", False), err):
            result: int = args.handler(args, out, err)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly. Point stdout at
        # devnull so the interpreter's final flush does not complain.
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, out.fileno())
        return 0
    except ConfigurationError as exc:
        err.write(f"cryptoex: error: {exc}\n")
        return 2
    except CryptoExError as exc:
        err.write(f"cryptoex: error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 0
    return result
