"""bayeslogit NUTS warm fits of lme4 cbpp and the BUGS Seeds, the counterpart of stan_glmer.R (issue 22)."""

import time
import warnings

import numpy as np

import bayeslogit as bl
from bayeslogit.datasets import bugs_seeds, lme4_cbpp

warnings.simplefilter("ignore")
cb = lme4_cbpp()
models = {
    "cbpp": bl.LogitModel("incidence ~ C(period) + (1 | herd)", cb, trials="size"),
    "seeds": bl.LogitModel("r ~ x1 * x2 + (1 | plate)", bugs_seeds(), trials="n"),
}
for name, m in models.items():
    m.sample(random_seed=0, progressbar=False)  # warm: kernel loaded
    ts = []
    for r in range(3):
        t = time.perf_counter()
        post = m.sample(random_seed=r + 1, progressbar=False)
        ts.append(time.perf_counter() - t)
    print(
        f"{name} bayeslogit warm fit (4 x 1000 draws, 1000 warm-up), median of 3\t{np.median(ts):.2f} s\t{post.sampler}",
        flush=True,
    )
    if name == "cbpp":
        print(post.coef_table()[["mean", "sd"]].round(3).to_string())
        print(post.group_summary().round(3).to_string())
