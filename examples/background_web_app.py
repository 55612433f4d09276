"""A web app serving live prices, with cryptoex streaming in the background.

    python examples/background_web_app.py             # http://127.0.0.1:8000/prices
    CRYPTOEX_SANDBOX=1 python examples/background_web_app.py --once

The shape fits Flask, Django or any WSGI app just as well: create one
StreamManager when the app starts, read ``sm.latest(...)`` in request
handlers (it never blocks: it returns the last model seen, or None), and
stop the manager when the app shuts down. ``--once`` fetches its own page
once and exits.
"""

from __future__ import annotations

import json
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cryptoex

from _sandbox import stream_options

SYMBOLS = ["BTCUSDT", "ETHUSDT", "BNBUSDT"]
sm = cryptoex.StreamManager(**stream_options())
for symbol in SYMBOLS:
    sm.subscribe("ticker", symbol)


class Prices(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path != "/prices":
            self.send_error(404)
            return
        body = {}
        for symbol in SYMBOLS:
            ticker = sm.latest("ticker", symbol)  # instant: no waiting in a request
            body[symbol] = None if ticker is None else str(ticker.last_price)
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the example's output readable


once = "--once" in sys.argv
server = ThreadingHTTPServer(("127.0.0.1", 0 if once else 8000), Prices)
url = f"http://127.0.0.1:{server.server_address[1]}/prices"
sm.start()  # streams on cryptoex's threads from now on
try:
    if once:
        first_ticker = threading.Event()
        cryptoex.signals.ticker.connect(lambda sender, event: first_ticker.set(), weak=False)
        first_ticker.wait(timeout=30)
        threading.Thread(target=server.serve_forever, name="web", daemon=True).start()
        with urllib.request.urlopen(url, timeout=10) as answer:
            print(f"GET {url} -> {answer.read().decode()}")
        server.shutdown()
    else:
        print(f"serving {url} (Ctrl-C stops)")
        server.serve_forever()
except KeyboardInterrupt:
    pass
finally:
    server.server_close()
    sm.stop()  # closes the connections and joins cryptoex's threads
