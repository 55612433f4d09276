"""The single source of cryptoex's version (setup.cfg reads it with ``attr:``)."""

__version__ = "0.1.0.dev0"
