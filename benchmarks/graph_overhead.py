"""Graph overhead and memory checks (issue: engine core).

- Per-op cost of building and evaluating a chain of N dependent scalar ops.
- Peak memory of `for _ in range(1000): y = y * 1.0001 + 0.5` on a 16 MB array.

    python benchmarks/graph_overhead.py [--impl rmlx|mlx] [--n 200000]
"""
import argparse
import time

from _impls import add_impl_option, cores


def chain(mx, n):
    y = mx.array(1.0)
    mx.eval(y)
    t = time.perf_counter()
    for _ in range(n):
        y = y + 1.0
    mx.eval(y)
    return (time.perf_counter() - t) / n * 1e6


def peak(mx):
    y = mx.zeros((1 << 22,)) + 0.0
    mx.eval(y)
    mx.reset_peak_memory()
    base = mx.get_active_memory()
    for _ in range(1000):
        y = y * 1.0001 + 0.5
    mx.eval(y)
    return (mx.get_peak_memory() - base) / (1 << 20)


def main():
    p = argparse.ArgumentParser()
    add_impl_option(p)
    p.add_argument("--n", type=int, default=200_000)
    args = p.parse_args()
    for name, mx in cores(args.impl):
        us = min(chain(mx, args.n) for _ in range(3))
        print(f"{name:5s} chain of {args.n} scalar ops: {us:.3f} us/op; "
              f"update loop peak: +{peak(mx):.1f} MB over a 16 MB array")


if __name__ == "__main__":
    main()
