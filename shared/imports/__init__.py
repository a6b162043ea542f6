"""Bank statement import: readers for CSV, OFX and Open Finance files, as pure functions."""
