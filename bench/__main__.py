"""Runs every benchmark: ``make bench`` (or ``python -m bench``)."""

from bench import ledger

if __name__ == "__main__":
    ledger.main()
