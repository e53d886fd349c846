"""Timings of the GLMM maximum likelihood (issue 22): ``fit_mle()`` of models with group terms
(lme4 ``glmer``'s Laplace approximation, and adaptive Gauss-Hermite with ``nAGQ=25``) on lme4's
``cbpp``, the BUGS Seeds data and 100,000 simulated rows with 1,000 levels of ``(1 + x | g)``.

Run alone (``python benchmarks/bench_glmm.py``) or as part of ``make bench``
(``benchmarks/bench.py --size glmm``). Each figure is the best of ``reps`` fits in this process
(the first, which imports and warms up scipy, is counted too, as ``first``); the machine's load
average is recorded at the start and the end, since the machine may be shared.
"""

from __future__ import annotations

import json
import os
import time
import warnings


def _timed(fit, reps: int) -> dict:
    times, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = fit()
        times.append(time.perf_counter() - t)
    return {"first_s": times[0], "best_s": min(times), "times_s": times, "reps": reps, "result": out}


def bench_glmm(quick: bool = False) -> dict:
    """Fit times (seconds) of each case; the estimates go along as a sanity check."""
    import bayeslogit as bl
    from bayeslogit.datasets import bugs_seeds, lme4_cbpp, simulate_groups

    n_groups, per = (100, 100) if quick else (1000, 100)
    big, _ = simulate_groups(n_groups, per, random_seed=1)
    cases = {
        "cbpp Laplace": (lambda: bl.LogitModel("incidence ~ period + (1 | herd)", lme4_cbpp(), trials="size"), {}),
        "cbpp nAGQ=25": (
            lambda: bl.LogitModel("incidence ~ period + (1 | herd)", lme4_cbpp(), trials="size"),
            {"nAGQ": 25},
        ),
        "Seeds Laplace": (lambda: bl.LogitModel("r ~ x1 * x2 + (1 | plate)", bugs_seeds(), trials="n"), {}),
        f"{len(big):,} rows x {n_groups:,} levels (1 + x | g)": (lambda: bl.LogitModel("y ~ x + (1 + x | g)", big), {}),
    }
    out = {"load_avg_start": os.getloadavg(), "cpus": os.cpu_count(), "cases": {}}
    for name, (make, kw) in cases.items():
        model = make()  # the design is built once, outside the timing (fit_mle is what is timed)
        reps = 1 if ("rows" in name or quick) else 5
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = _timed(lambda model=model, kw=kw: model.fit_mle(**kw), reps)
        fit = res.pop("result")
        res.update(
            llf=fit.llf,
            converged=fit.converged,
            sd=fit.group_summary()["estimate"].round(4).tolist(),
            params=fit.params.round(4).tolist(),
        )
        out["cases"][name] = res
        print(f"  {name}: best {res['best_s']:.3f} s (first {res['first_s']:.3f} s), llf {res['llf']:.3f}", flush=True)
    out["load_avg_end"] = os.getloadavg()
    return out


if __name__ == "__main__":
    print(json.dumps(bench_glmm(), indent=1))
