"""Benchmark: how fast ``FakeBinance.flood`` pushes ticker messages to one websocket
connection, measured by a raw websocket-client receive loop.

Run: ``python benchmarks/sandbox_push.py [--messages 200000] [--runs 3]``

The receiver is a separate process (``websocket.create_connection`` + ``recv()`` in a
loop, nothing else), so client and server do not share one interpreter lock; on a
2-core machine that is one core each. Each run floods ``btcusdt@ticker`` with
``--messages`` messages; the client times from its first message to its last and
prints messages per second, once with websocket-client's default UTF-8 validation
and once with ``skip_utf8_validation=True``. The server side reports how long
``flood()`` took (it returns when the last message was handed to the socket).
Prints figures; asserts nothing.

Why two figures: without ``wsaccel`` installed, websocket-client validates UTF-8 in pure
Python (about 70 µs for a 400-byte ticker on the machine this was written on), which
caps what one receiver can read far below what the server sends; the second figure is
the push rate with that cost removed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from cryptoex.testing import FakeBinance

STREAM = "btcusdt@ticker"

CLIENT = r"""
import sys, time, websocket
url, count, runs, skip = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
ws = websocket.create_connection(url, timeout=60, skip_utf8_validation=skip)
print("ready", flush=True)
for _ in range(runs):
    ws.recv()
    started = time.perf_counter()
    for _ in range(count - 1):
        ws.recv()
    print((count - 1) / (time.perf_counter() - started), flush=True)
ws.close()
"""


def measure(
    fb: FakeBinance, messages: int, runs: int, skip_utf8: bool
) -> tuple[list[float], list[float]]:
    """One receiver process; returns (client msgs/s per run, server msgs/s per run)."""
    client = subprocess.Popen(  # noqa: S603 - our own interpreter running our own script
        [
            sys.executable,
            "-c",
            CLIENT,
            f"{fb.ws_url}/ws/{STREAM}",
            str(messages),
            str(runs),
            "1" if skip_utf8 else "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert client.stdout is not None
    try:
        assert client.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 10
        while not any(STREAM in c.streams for c in fb.connections()):
            if time.monotonic() > deadline:
                raise RuntimeError("the receiver never subscribed")
            time.sleep(0.01)  # benchmark set-up only; tests never sleep
        received: list[float] = []
        sent: list[float] = []
        for _ in range(runs):
            started = time.perf_counter()
            fb.flood(STREAM, messages)
            sent.append(messages / (time.perf_counter() - started))
            received.append(float(client.stdout.readline()))
        client.wait(timeout=30)
        return received, sent
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()


def main() -> None:
    """Parse options, run the measurement, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000, help="messages per run")
    parser.add_argument("--runs", type=int, default=3, help="runs per setting")
    args = parser.parse_args()
    with FakeBinance(message_rate=0, symbols=["BTCUSDT"]) as fb:
        print(f"flood {STREAM}: {args.messages} messages x {args.runs} runs, one connection")
        for skip in (False, True):
            received, sent = measure(fb, args.messages, args.runs, skip)
            label = "skip_utf8_validation=True " if skip else "default UTF-8 validation  "
            print(
                f"  {label} client receives {statistics.median(received):>9,.0f} msgs/s "
                f"(runs: {', '.join(f'{r:,.0f}' for r in received)}); "
                f"server pushes {statistics.median(sent):>9,.0f} msgs/s"
            )


if __name__ == "__main__":
    main()
