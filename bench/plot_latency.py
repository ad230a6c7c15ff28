"""Latency-distribution plots of a bench/compare.sh run, with gnuplot.

Usage: python3 bench/plot_latency.py RESULTS_DIR
For each scenario, every server's latency samples (<server>.<scenario>.lat,
one per line, in microseconds, as chat-bench --latencies writes them) become
one curve: latency against percentile, on a scale that spreads the tail
(50%, 90%, 99%, 99.9%, ...), so that a stall cannot hide in an average.
Writes latency-<scenario>.svg into RESULTS_DIR. Standard library and the
gnuplot command only.
"""
import glob
import math
import os
import subprocess
import sys

PERCENTILES = [50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100]


def quantiles(path):
    with open(path) as f:
        samples = sorted(int(line) for line in f if line.strip())
    if not samples:
        return []
    points = []
    # 200 points evenly spread on the x scale -log10(1 - p), from p=0 to 99.99%.
    for i in range(201):
        x = 4.0 * i / 200
        p = 1.0 - 10 ** (-x)
        k = min(len(samples) - 1, int(math.ceil(p * len(samples))) - 1) if p > 0 else 0
        points.append((x, samples[max(k, 0)] / 1000.0))
    return points


def main():
    results = sys.argv[1]
    scenarios = {}
    for path in glob.glob(os.path.join(results, "*.lat")):
        server, scenario = os.path.basename(path)[: -len(".lat")].rsplit(".", 1)
        scenarios.setdefault(scenario, []).append((server, path))
    for scenario, runs in sorted(scenarios.items()):
        curves = []
        for server, path in sorted(runs):
            points = quantiles(path)
            if not points:
                continue
            dat = os.path.join(results, f"{server}.{scenario}.dat")
            with open(dat, "w") as f:
                for x, ms in points:
                    f.write(f"{x:.4f} {ms:.4f}\n")
            curves.append(f"'{dat}' using 1:2 with lines lw 2 title '{server}'")
        if not curves:
            continue
        out = os.path.join(results, f"latency-{scenario}.svg")
        tics = ", ".join(f"'{p}%%' {(-math.log10(1 - p / 100)) if p < 100 else 4.0:.4f}" for p in PERCENTILES)
        script = f"""
set terminal svg size 900,520 dynamic background rgb 'white'
set output '{out}'
set title 'Delivery latency by percentile: {scenario}'
set xlabel 'percentile'
set ylabel 'latency (ms, log scale)'
set logscale y
set grid
set key top left
set xtics ({tics})
set xrange [0:4]
plot {', '.join(curves)}
"""
        subprocess.run(["gnuplot"], input=script.encode(), check=True)
        print(out)


if __name__ == "__main__":
    main()
