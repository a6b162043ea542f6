"""Runs every benchmark at its default size, one after the other: ``make bench`` (or
``python -m bench``). The dashboard's ten million rows take the longest, about half an hour of
loading on two cores (docs/benchmarks.md); each module also runs alone, with smaller sizes."""

from bench import categorise, dashboard, events, import_throughput, ledger

BENCHMARKS = (ledger, categorise, events, import_throughput, dashboard)

if __name__ == "__main__":
    for benchmark in BENCHMARKS:
        print(f"== {benchmark.__name__}", flush=True)
        benchmark.main()
