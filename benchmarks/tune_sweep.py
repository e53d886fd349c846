"""Warm-up length at benchmark L: gradients per effective draw, ESS/s, against the gradient floor.

Run: python benchmarks/tune_sweep.py [--n 100000] [--tunes 1000,500,300,200] [--seeds 1000]
Alternates the warm-up lengths (same data, same seeds), and between fits times the kernel's
log density + gradient on two threads at once (the sampler's own load: 2 threads on 2 cores)
and PyMC's compiled logp_dlogp_function, so the floor is measured under the same machine load.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[0]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench  # noqa: E402

import bayeslogit as bl  # noqa: E402
from bayeslogit.datasets import simulate_seed  # noqa: E402


def grad_time_two_threads(dens, repeats=100):
    from bayeslogit.fit.nuts import kernel

    args = (dens.X, dens.y, dens.m, dens.T, dens.family.astype(np.int64), dens.mu, dens.sigma, dens.nu)
    out = []

    def work():
        beta, g = np.zeros(dens.dim), np.empty(dens.dim)
        kernel.logp_grad(beta, *args, g)
        t0 = time.perf_counter()
        for _ in range(repeats):
            kernel.logp_grad(beta, *args, g)
        out.append((time.perf_counter() - t0) / repeats)

    ths = [threading.Thread(target=work) for _ in range(min(2, os.cpu_count() or 1))]
    t0 = time.perf_counter()
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    wall = time.perf_counter() - t0
    return {"per_thread_s": float(np.median(out)), "throughput_per_s": len(ths) * repeats / wall}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--noise", type=int, default=20)
    ap.add_argument("--tunes", default="1000,500,300,200")
    ap.add_argument("--seeds", default="1000")
    ap.add_argument("--out", default="benchmarks/results/tune_sweep.json")
    a = ap.parse_args()
    df = simulate_seed(a.n, random_seed=0, n_noise=a.noise)
    formula = bench.formula_for(a.noise)
    from bayeslogit.fit.nuts.density import LogDensity

    dens = LogDensity.from_model(bl.LogitModel(formula, df))
    res = {"n": a.n, "p": 3 + a.noise, "runs": [], "grad": [], "load": []}
    res["pymc_vs_kernel"] = bench.gradient_time(df, formula)
    print("one-thread gradient:", res["pymc_vs_kernel"], flush=True)
    for seed in [int(s) for s in a.seeds.split(",")]:
        for tune in [int(t) for t in a.tunes.split(",")]:
            g = grad_time_two_threads(dens)
            res["grad"].append(g)
            t0 = time.perf_counter()
            post = bl.LogitModel(formula, df).sample(tune=tune, chains=4, random_seed=seed, progressbar=False)
            sec = time.perf_counter() - t0
            beta = post.idata.posterior["beta"].transpose("chain", "draw", "coef").values
            d = bench.diagnostics(beta, sec)
            from arviz_stats import ess

            mcse_sd = np.asarray(ess(beta, method="mean"))
            d["sd"] = beta.reshape(-1, beta.shape[-1]).std(axis=0).tolist()
            d["ess_mean"] = mcse_sd.tolist()
            ngrad = post.idata.posterior.attrs["gradient_evaluations_per_chain"]
            steps = post.idata.sample_stats["n_steps"].values
            d.update(
                tune=tune,
                seed=seed,
                n_grad_per_chain_max=int(ngrad),
                sampling_grads_total=int(steps.sum()),
                step_size=post.idata.sample_stats["step_size"].values[:, 0].tolist(),
                mean_steps=float(steps.mean()),
                grads_per_ess=4 * ngrad / d["min_ess_bulk"],
                floor_ess_per_s=g["throughput_per_s"] / 4,
                load=os.getloadavg()[0],
            )
            d["x_floor"] = d["floor_ess_per_s"] / d["min_ess_bulk_per_s"]
            res["runs"].append(d)
            print(
                f"tune {tune} seed {seed}: {sec:.1f} s, min ESS {d['min_ess_bulk']:.0f}, "
                f"ESS/s {d['min_ess_bulk_per_s']:.1f}, grads/ESS {d['grads_per_ess']:.2f}, "
                f"mean steps {d['mean_steps']:.2f}, eps {np.round(d['step_size'], 3)}, "
                f"Rhat {d['max_r_hat']:.4f}, floor {d['floor_ess_per_s']:.1f} ESS/s -> x{d['x_floor']:.2f}, "
                f"grad {g['per_thread_s'] * 1e3:.2f} ms/thread, load {d['load']:.1f}",
                flush=True,
            )
            Path(a.out).parent.mkdir(exist_ok=True)
            Path(a.out).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
