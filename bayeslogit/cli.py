"""Command line: ``bayeslogit demo``. ``--help`` must stay fast: nothing heavy is imported here."""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bayeslogit",
        description="Bayesian logistic regression from a formula, beside the MLE and the MAP.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the seed example end to end (simulated n=500 data)")
    demo.add_argument("--n", type=int, default=500, help="rows to simulate (default 500)")
    demo.add_argument("--draws", type=int, default=1000, help="posterior draws per chain (default 1000)")
    demo.add_argument("--chains", type=int, default=4, help="chains (default 4)")
    demo.add_argument("--seed", type=int, default=1, help="random seed for data and sampler (default 1)")
    demo.add_argument("--report", metavar="OUT.html", help="also write the HTML report here")
    return p


def _demo(args: argparse.Namespace) -> int:
    import bayeslogit as bl
    from bayeslogit.datasets import simulate_seed

    df = simulate_seed(args.n, random_seed=args.seed)
    print(f"Simulated n={args.n} rows: eta = -3 + 2 x1 - 1.5 x2 (seed {args.seed})", flush=True)
    model = bl.LogitModel("y ~ x1 + x2", data=df)
    post = model.sample(draws=args.draws, chains=args.chains, random_seed=args.seed)
    print(post.summary())
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``bayeslogit`` command."""
    args = _parser().parse_args(argv)
    if args.command == "demo":
        return _demo(args)
    return 2  # pragma: no cover - argparse enforces the choices


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
