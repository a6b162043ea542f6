"""Runs every benchmark at its default size, one after the other: ``make bench`` (or
``python -m bench``). The dashboard's ten million rows take the longest, about half an hour of
loading on two cores (docs/benchmarks.md); each module also runs alone, with smaller sizes."""

from bench import (
    ai_import,
    categorise,
    dashboard,
    events,
    import_throughput,
    ledger,
    ml_serving,
)

BENCHMARKS = (ledger, categorise, events, import_throughput, dashboard, ml_serving, ai_import)

if __name__ == "__main__":
    for benchmark in BENCHMARKS:
        print(f"== {benchmark.__name__}", flush=True)
        benchmark.main()
