#!/usr/bin/env python3
"""Start-up and shutdown of a whole process, `#[run::main]` against hand-written tokio.

Times, for two binaries that print `ready` once they serve and exit on SIGTERM (by default
the fixtures `idle`, under `#[run::main]`, and `idle_tokio`, on `#[tokio::main]`, both with
no drain):

- exec to ready: from just before the process is spawned to its `ready` line;
- SIGTERM to exit: from the signal to the end of the process (its exit status read).

The two run in pairs, in alternating order, so a change of the machine's load hits both;
each ratio is taken within a pair, and the report gives the medians and the p10-p90 of the
ratios.

    cargo build --release --bin idle --bin idle_tokio
    python3 run/benches/process_times.py [ROUNDS] [RUN_BINARY TOKIO_BINARY]
"""

import os
import signal
import subprocess
import sys
import time


def one(binary):
    """(seconds from exec to `ready`, seconds from SIGTERM to exit) of one process."""
    start = time.perf_counter()
    process = subprocess.Popen([binary], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = process.stdout.readline()
    ready = time.perf_counter()
    if line.strip() != b"ready":
        process.kill()
        raise SystemExit(f"{binary}: expected `ready`, got {line!r}")
    # Let the process settle (its actors start waiting) before the signal.
    time.sleep(0.02)
    term = time.perf_counter()
    process.send_signal(signal.SIGTERM)
    status = process.wait()
    end = time.perf_counter()
    if status != 0:
        raise SystemExit(f"{binary}: exited with {status} on SIGTERM")
    return ready - start, end - term


def quantile(values, q):
    values = sorted(values)
    return values[round((len(values) - 1) * q)]


def main():
    args = sys.argv[1:]
    rounds = int(args.pop(0)) if args and args[0].isdigit() else 200
    target = os.path.join(os.path.dirname(__file__), "..", "..", "target", "release")
    run_binary, tokio_binary = args or [
        os.path.join(target, "idle"),
        os.path.join(target, "idle_tokio"),
    ]
    # Warm-up: the binaries' pages in the page cache.
    for binary in (run_binary, tokio_binary):
        for _ in range(5):
            one(binary)
    samples = {"run": [], "tokio": []}
    for round_ in range(rounds):
        order = [("run", run_binary), ("tokio", tokio_binary)]
        if round_ % 2:
            order.reverse()
        for name, binary in order:
            samples[name].append(one(binary))
    print(f"{rounds} pairs; times in ms: median (p10-p90); ratio = run / tokio within a pair")
    print(f"{'':<16} {'run':>22} {'tokio':>22} {'ratio':>22}")
    for at, what in enumerate(["exec to ready", "SIGTERM to exit"]):
        run_times = [sample[at] for sample in samples["run"]]
        tokio_times = [sample[at] for sample in samples["tokio"]]
        ratios = [r / t for r, t in zip(run_times, tokio_times)]

        def cell(values, scale, unit):
            return (
                f"{quantile(values, 0.5) * scale:.3f}{unit} "
                f"({quantile(values, 0.1) * scale:.3f}-{quantile(values, 0.9) * scale:.3f})"
            )

        print(
            f"{what:<16} {cell(run_times, 1e3, ''):>22} {cell(tokio_times, 1e3, ''):>22} "
            f"{cell(ratios, 1, 'x'):>22}"
        )


if __name__ == "__main__":
    main()
