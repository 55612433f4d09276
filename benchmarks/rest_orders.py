"""Benchmark: what ``UserClient.place_order`` adds over a bare signed
``requests`` POST, and orders per second from 8 threads, against FakeBinance
on loopback.

Run: ``python benchmarks/rest_orders.py [--orders 400] [--threads 8]``

Both sides place the same LIMIT IOC order priced far below the market (it
expires at once, so no balance moves and no order stays open), interleaved
in one run so both see the same machine load. The bare side is the floor: a
reused ``requests.Session``, the same percent-encoded payload signed with
``hmac``, one POST. The difference is cryptoex's own cost: argument and filter
validation, the shared rate-limit budget, signing through the adapter, error
translation and parsing the answer into an ``Order``. Prints figures; asserts
nothing about time.

``--pause`` spaces the round-trip calls out (seconds; default none): useful
against a server that writes headers and body separately without
``TCP_NODELAY``, where Linux delayed ACKs add ~40 ms to a request sent right
after another on the same connection (an early FakeBinance did). The
client-thread CPU time is reported too: it leaves out every wait on the
socket, so it isolates the client-side cost even on a noisy loopback.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import statistics
import threading
import time
import uuid
from decimal import Decimal
from urllib.parse import urlencode

import requests

import cryptoex
from cryptoex.rest import reset_shared_state
from cryptoex.testing import FakeBinance

SYMBOL = "BTCUSDT"
UNLIMITED = 10**9


def bare_order(session: requests.Session, fb: FakeBinance, price: str, offset_ms: int) -> None:
    params = {
        "symbol": SYMBOL,
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "IOC",
        "quantity": "0.001",
        "price": price,
        "newClientOrderId": "bare-" + uuid.uuid4().hex[:24],
        "newOrderRespType": "FULL",
        "recvWindow": 5000,
        "timestamp": int(time.time() * 1000) + offset_ms,
    }
    payload = urlencode(params)
    signature = hmac.new(fb.api_secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    answer = session.post(
        f"{fb.rest_url}/api/v3/order",
        data=f"{payload}&signature={signature}",
        headers={
            "X-MBX-APIKEY": fb.api_key,
            "Content-Type": "application/x-www-form-urlencoded",
        },
        timeout=10,
    )
    answer.raise_for_status()
    answer.json()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def round_trip(fb: FakeBinance, count: int, pause: float) -> None:
    client = cryptoex.UserClient(fb.api_key, fb.api_secret, rest_url=fb.rest_url)
    price = str(client.symbol_info(SYMBOL).round_price(fb.price(SYMBOL) / 2, "down"))
    session = requests.Session()
    offset_ms = int(client._server_time_ms() - time.time() * 1000)
    for _ in range(20):  # warm up both paths (connections, caches)
        client.place_order(SYMBOL, "BUY", "LIMIT", "0.001", price, time_in_force="IOC")
        bare_order(session, fb, price, offset_ms)
    ours: list[float] = []
    bare: list[float] = []
    ours_cpu: list[float] = []
    bare_cpu: list[float] = []

    def run_ours() -> None:
        start, cpu = time.perf_counter(), time.thread_time()
        client.place_order(SYMBOL, "BUY", "LIMIT", "0.001", price, time_in_force="IOC")
        ours.append(time.perf_counter() - start)
        ours_cpu.append(time.thread_time() - cpu)

    def run_bare() -> None:
        start, cpu = time.perf_counter(), time.thread_time()
        bare_order(session, fb, price, offset_ms)
        bare.append(time.perf_counter() - start)
        bare_cpu.append(time.thread_time() - cpu)

    for i in range(count):
        # Alternate who goes first, so neither side always follows the other.
        first, second = (run_ours, run_bare) if i % 2 == 0 else (run_bare, run_ours)
        if pause:
            time.sleep(pause)
        first()
        if pause:
            time.sleep(pause)
        second()
    client.close()
    session.close()
    med_ours, med_bare = statistics.median(ours) * 1000, statistics.median(bare) * 1000
    cpu_ours, cpu_bare = statistics.mean(ours_cpu) * 1000, statistics.mean(bare_cpu) * 1000
    spacing = f", {pause * 1000:.0f} ms pause between calls" if pause else ""
    print(f"signed place_order round trip, {count} orders each, interleaved, loopback{spacing}:")
    print(
        f"  cryptoex UserClient.place_order: median {med_ours:.3f} ms, "
        f"p90 {percentile(ours, 0.9) * 1000:.3f} ms"
    )
    print(
        f"  bare requests signed POST:       median {med_bare:.3f} ms, "
        f"p90 {percentile(bare, 0.9) * 1000:.3f} ms"
    )
    print(
        f"  ratio {med_ours / med_bare:.2f}x, cryptoex adds {med_ours - med_bare:.3f} ms "
        "per order (target <= 1 ms)"
    )
    # CPU time of the calling thread leaves out waiting on the socket (and the
    # sandbox's own threads), so it isolates the client-side cost even when
    # the loopback round trip is noisy.
    print(
        f"  client thread CPU per order: cryptoex {cpu_ours:.3f} ms, bare {cpu_bare:.3f} ms, "
        f"cryptoex adds {cpu_ours - cpu_bare:.3f} ms"
    )


def threaded(fb: FakeBinance, threads: int, per_thread: int) -> None:
    client = cryptoex.UserClient(fb.api_key, fb.api_secret, rest_url=fb.rest_url)
    price = client.symbol_info(SYMBOL).round_price(fb.price(SYMBOL) / 2, "down")
    client.place_order(SYMBOL, "BUY", "LIMIT", "0.001", price, time_in_force="IOC")
    ids: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads + 1)

    def worker() -> None:
        barrier.wait()
        for _ in range(per_thread):
            order = client.place_order(
                SYMBOL, "BUY", "LIMIT", Decimal("0.001"), price, time_in_force="IOC"
            )
            with lock:
                ids.append(order.client_order_id)

    pool = [threading.Thread(target=worker, name=f"bench-{i}") for i in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - start
    client.close()
    total = threads * per_thread
    assert len(set(ids)) == total  # correctness, not speed: no lost or duplicated order
    print(
        f"{threads} threads x {per_thread} orders on one UserClient: {total} orders in "
        f"{elapsed:.2f} s = {total / elapsed:.0f} orders/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--per-thread", type=int, default=100)
    parser.add_argument(
        "--pause",
        type=float,
        default=0.0,
        help="seconds between round-trip calls (see the module docstring)",
    )
    args = parser.parse_args()
    reset_shared_state()
    with FakeBinance(
        seed=1,
        symbols=[SYMBOL],
        request_weight_limit=UNLIMITED,
        order_limit_10s=UNLIMITED,
        order_limit_1d=UNLIMITED,
    ) as fb:
        round_trip(fb, args.orders, args.pause)
        threaded(fb, args.threads, args.per_thread)


if __name__ == "__main__":
    main()
