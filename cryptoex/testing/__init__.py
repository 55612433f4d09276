"""The Binance-compatible sandbox (work in progress)."""
