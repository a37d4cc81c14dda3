"""Transformation overhead (issue: function transformations).

The cost of `value_and_grad` of a 200-op scalar function (tracing, building
the backward graph and evaluating both) against evaluating the forward
function alone, for rmlx and the reference MLX. The issue's bound is 3x.

    python benchmarks/transform_overhead.py [--impl rmlx mlx] [--ops 200]
"""
import argparse
import statistics
import time

from _impls import add_impl_option, cores


def make_fn(mx, n_ops):
    """A scalar function of `n_ops` dependent elementwise ops."""
    def f(x):
        y = x
        for i in range(n_ops // 4):
            y = mx.sin(y) * 0.9 + 0.1
            y = mx.tanh(y + x)
        return y
    return f


def median_us(mx, step, reps):
    for _ in range(10):
        mx.eval(step())
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        mx.eval(step())
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def main():
    p = argparse.ArgumentParser()
    add_impl_option(p)
    p.add_argument("--ops", type=int, default=200)
    p.add_argument("--reps", type=int, default=200)
    args = p.parse_args()
    for name, mx in cores(args.impl):
        f = make_fn(mx, args.ops)
        x = mx.array(0.3)
        vg = mx.value_and_grad(f)
        fwd = median_us(mx, lambda: f(x), args.reps)
        both = median_us(mx, lambda: vg(x), args.reps)
        print(f"{name:5s} {args.ops}-op scalar function: forward {fwd:8.1f} us, "
              f"value_and_grad {both:8.1f} us, ratio {both / fwd:.2f}")


if __name__ == "__main__":
    main()
