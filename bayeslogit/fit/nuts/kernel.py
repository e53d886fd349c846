"""The compiled core of ``sampler="bayeslogit"``: one NUTS chain, warm-up included, in numba.

Compiled once per machine (the machine code is cached on disk, see :mod:`.cache`) and generic in the
data, so unlike a per-model compile it costs nothing per fit. ``nogil=True`` lets chains run
on threads in parallel. Everything a chain needs is passed in as arrays; randomness comes
from the chain's own ``numpy.random.Generator``.

The algorithm (see :mod:`bayeslogit.fit.nuts.driver` for the overview): multinomial NUTS with
biased progressive sampling between subtrees, uniform progressive sampling within one,
U-turn checks on every balanced subtree plus Stan's extra checks across each merge's seam
(without them, near-Gaussian targets whose period matches a tree size run to maximum depth),
divergence when the energy error exceeds 1000; in
coordinates ``u`` with ``beta = center + L u`` (a dense mass matrix ``(L L')^-1``); Stan's
dual-averaging step size and doubling windows for re-estimating ``L L'`` (shrunk towards the
Laplace covariance).

The metric is dense (``L`` lower-triangular ``p x p``: O(p^2) per leapfrog step) or diagonal
(issue 22: ``L`` is ``(p, 1)``, its diagonal, O(p) per step, for group models with thousands of
level effects). The chain state says which: ``ist[3] = 1`` (a 4th entry; the driver's
``_ChainState(d, diag=True)``) with ``L``, ``cov0`` and the window's ``w_m2`` of shape
``(p, 1)``. Its windows estimate variances regularized as Stan's,
``(n / (n + 5)) var + 1e-3 * 5 / (n + 5)``. The dense path's arithmetic is unchanged (same
operations in the same order), so its draws are bit-identical to before the diagonal mode; both
modes share one compiled function each (no extra specializations, no extra compile time).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import numpy as np

from . import categorical_kernel, group_kernel
from .cache import cached_njit
from .categorical_kernel import categorical_logp_grad
from .group_kernel import fixed_prior, group_logp_grad

# the cached machine code of every function here holds these modules': key the cache on them too
_DEPENDS = (group_kernel.__file__, categorical_kernel.__file__)

MAX_DELTA_H = 1000.0


@cached_njit(depends=_DEPENDS, nogil=True, fastmath={"contract", "reassoc", "nsz", "arcp"})
def logp_grad(beta, X, y, m, T, fam, mu, sigma, nu, grad):
    """Log density at ``beta`` (see :mod:`bayeslogit.fit.nuts.density`); writes the gradient to ``grad``.

    ``X`` has ``p`` columns, or ``p + 1`` when the model has an offset: then its last column is
    the offset, added to ``eta`` (:meth:`bayeslogit.fit.nuts.density.LogDensity.kernel_X`)."""
    p = beta.shape[0]
    lp = fixed_prior(beta, T, fam, mu, sigma, nu, grad)
    n = X.shape[0]
    has_offset = X.shape[1] > p
    for i in range(n):
        eta = X[i, p] if has_offset else 0.0
        for k in range(p):
            eta += X[i, k] * beta[k]
        a = np.exp(-abs(eta))
        if eta >= 0:
            softplus = eta + np.log1p(a)
            s = 1.0 / (1.0 + a)
        else:
            softplus = np.log1p(a)
            s = a / (1.0 + a)
        lp += y[i] * eta - m[i] * softplus
        r = y[i] - m[i] * s
        for k in range(p):
            grad[k] += r * X[i, k]
    return lp


@cached_njit(depends=_DEPENDS, nogil=True)
def _logp_u(u, center, L, X, y, m, T, fam, mu, sigma, nu, grp, beta, gb, gu):
    """Log density in whitened coordinates; ``beta`` and ``gu`` are written in place. With
    group terms (``grp``, :mod:`.group_kernel`), ``beta`` is the whole position ``theta``; for
    a multinomial or ordinal response (``grp[8][0] > 0``, :mod:`.categorical_kernel`), ``y``
    holds outcome codes, ``m`` row weights and ``T`` the stacked prior map."""
    p = u.shape[0]
    diag = L.shape[1] != p  # a diagonal metric: L is (p, 1), its diagonal
    if diag:
        for j in range(p):
            beta[j] = center[j] + L[j, 0] * u[j]
    else:
        for j in range(p):
            acc = center[j]
            for k in range(j + 1):
                acc += L[j, k] * u[k]
            beta[j] = acc
    if grp[8][0] > 0:
        lp = categorical_logp_grad(beta, X, y, m, T, fam, mu, sigma, nu, grp[8], gb)
    elif grp[2].shape[0] == 0 and grp[7].shape[0] == 0:
        lp = logp_grad(beta, X, y, m, T, fam, mu, sigma, nu, gb)
    else:
        lp = group_logp_grad(beta, X, y, m, T, fam, mu, sigma, nu, grp, gb)
    if diag:
        for k in range(p):
            gu[k] = L[k, 0] * gb[k]
    else:
        for k in range(p):  # gu = L' gb
            acc = 0.0
            for j in range(k, p):
                acc += L[j, k] * gb[j]
            gu[k] = acc
    if not np.isfinite(lp):
        return -np.inf
    for k in range(p):
        if not np.isfinite(gu[k]):
            return -np.inf
    return lp


@cached_njit(depends=_DEPENDS, nogil=True)
def _dot(a, b):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * b[i]
    return s


@cached_njit(depends=_DEPENDS, nogil=True)
def _logaddexp(a, b):
    if a == -np.inf:
        return b
    if b == -np.inf:
        return a
    if a > b:
        return a + np.log1p(np.exp(b - a))
    return b + np.log1p(np.exp(a - b))


@cached_njit(depends=_DEPENDS, nogil=True)
def _init_step_size(eps, q, lp, g, rng, center, L, X, y, m, T, fam, mu, sigma, nu, grp, beta, gb):
    """Stan's heuristic: double or halve ``eps`` until one leapfrog step's acceptance
    probability crosses 0.8."""
    p = q.shape[0]
    p0 = rng.standard_normal(p)
    H0 = -lp + 0.5 * _dot(p0, p0)
    qn = np.empty(p)
    pn = np.empty(p)
    gn = np.empty(p)
    direction = 0
    for _ in range(60):
        for i in range(p):
            pn[i] = p0[i] + 0.5 * eps * g[i]
            qn[i] = q[i] + eps * pn[i]
        lpn = _logp_u(qn, center, L, X, y, m, T, fam, mu, sigma, nu, grp, beta, gb, gn)
        for i in range(p):
            pn[i] += 0.5 * eps * gn[i]
        H = -lpn + 0.5 * _dot(pn, pn)
        good = np.isfinite(H) and H0 - H > np.log(0.8)
        if direction == 0:
            direction = 1 if good else -1
        if direction == 1 and not good:
            return eps / 2.0 if eps > 1e-10 else eps
        if direction == -1 and good:
            return eps
        eps = eps * 2.0 if direction == 1 else eps / 2.0
    return eps


@cached_njit(depends=_DEPENDS, nogil=True)
def init_chain(X, y, m, T, fam, mu, sigma, nu, grp, center, cov0, u0, rng, L, q, g, fst, ist):
    """Start one chain at ``u0``: fills the caller-owned state ``L`` (Cholesky factor of
    ``cov0``; with ``ist[3] = 1``, the square roots of the variances ``cov0[:, 0]``), ``q``, ``g``, ``fst`` = [lp, eps, da_mu, h_bar, log_eps_bar] and ``ist`` =
    [n_grad, da_t, w_n] (see :func:`run_block`)."""
    p = u0.shape[0]
    if ist.shape[0] > 3 and ist[3] != 0:  # diagonal metric: L and cov0 are (p, 1)
        for i in range(p):
            L[i, 0] = np.sqrt(cov0[i, 0])
    else:
        L[:, :] = np.linalg.cholesky(cov0)
    beta = np.empty(p)
    gb = np.empty(p)
    q[:] = u0
    lp = _logp_u(q, center, L, X, y, m, T, fam, mu, sigma, nu, grp, beta, gb, g)
    eps = _init_step_size(0.9 / p**0.25, q, lp, g, rng, center, L, X, y, m, T, fam, mu, sigma, nu, grp, beta, gb)
    fst[0] = lp
    fst[1] = eps
    fst[2] = np.log(2.0 * eps)
    fst[3] = 0.0
    fst[4] = 0.0
    ist[0] = 1
    ist[1] = 0
    ist[2] = 0


@cached_njit(depends=_DEPENDS, nogil=True)
def run_block(
    X,
    y,
    m,
    T,
    fam,
    mu,
    sigma,
    nu,
    grp,
    center,
    cov0,
    rng,
    tune,
    draws,
    target_accept,
    max_depth,
    win_start,
    win_ends,
    shrink,
    L,
    q,
    g,
    fst,
    ist,
    w_mean,
    w_m2,
    it_start,
    it_stop,
    out_beta,
    out_int,
    out_float,
):
    """Iterations ``it_start .. it_stop - 1`` of one chain (warm-up first, then ``draws``
    kept draws), resuming from and updating the caller-owned state of :func:`init_chain`.

    Running ``0 .. tune + draws`` in any number of blocks gives bit-identical draws: the
    state lives in the arrays, the chain's generator advances in place, and every adaptation
    step keys on the absolute iteration. Writes ``out_beta`` (draws, p); ``out_int`` (draws, 4):
    tree depth, leapfrog steps, diverging, hit max depth; ``out_float`` (draws, 4): acceptance
    rate, energy, lp, step size.
    """
    p = q.shape[0]
    diag = ist.shape[0] > 3 and ist[3] != 0  # diagonal metric: L, cov0 and w_m2 are (p, 1)
    beta = np.empty(p)
    gb = np.empty(p)
    lp = fst[0]
    eps = fst[1]
    da_mu = fst[2]
    h_bar = fst[3]
    log_eps_bar = fst[4]
    n_grad = ist[0]
    da_t = ist[1]
    w_n = ist[2]
    nmax = 1 << max_depth
    cum = np.zeros((nmax + 1, p))
    first_p = np.zeros((nmax, p))
    # tree state
    lq = np.empty(p)
    lpm = np.empty(p)
    lg = np.empty(p)
    rq = np.empty(p)
    rpm = np.empty(p)
    rg = np.empty(p)
    cq = np.empty(p)
    cp = np.empty(p)
    cg = np.empty(p)
    sq = np.empty(p)
    sg = np.empty(p)
    sp = np.empty(p)
    pq = np.empty(p)
    pg = np.empty(p)
    pp = np.empty(p)
    rho = np.empty(p)
    n_ends = win_ends.shape[0]
    last_end = win_ends[n_ends - 1] if n_ends > 0 else 0
    for it in range(it_start, it_stop):
        # ---- one NUTS transition ----
        p0 = rng.standard_normal(p)
        H0 = -lp + 0.5 * _dot(p0, p0)
        lq[:] = q
        lpm[:] = p0
        lg[:] = g
        rq[:] = q
        rpm[:] = p0
        rg[:] = g
        rho[:] = p0
        log_w = 0.0
        pq[:] = q
        plp = lp
        pg[:] = g
        pp[:] = p0
        depth = 0
        n_steps = 0
        sum_acc = 0.0
        diverging = False
        hit_max = True
        for j in range(max_depth):
            fwd = rng.random() < 0.5
            if fwd:
                cq[:] = rq
                cp[:] = rpm
                cg[:] = rg
                e = eps
            else:
                cq[:] = lq
                cp[:] = lpm
                cg[:] = lg
                e = -eps
            size = 1 << j
            sub_log_w = -np.inf
            slp = 0.0
            valid = True
            for k in range(size):
                for i in range(p):
                    cp[i] += 0.5 * e * cg[i]
                    cq[i] += e * cp[i]
                clp = _logp_u(cq, center, L, X, y, m, T, fam, mu, sigma, nu, grp, beta, gb, cg)
                n_grad += 1
                for i in range(p):
                    cp[i] += 0.5 * e * cg[i]
                n_steps += 1
                H = -clp + 0.5 * _dot(cp, cp)
                dH = H - H0 if np.isfinite(H) else np.inf
                sum_acc += 1.0 if dH <= 0 else np.exp(-dH)
                if dH > MAX_DELTA_H:
                    diverging = True
                    valid = False
                    break
                new_w = _logaddexp(sub_log_w, -dH)
                if np.log(rng.random()) < -dH - new_w:
                    sq[:] = cq
                    sg[:] = cg
                    sp[:] = cp
                    slp = clp
                sub_log_w = new_w
                for i in range(p):
                    cum[k + 1, i] = cum[k, i] + cp[i]
                    first_p[k, i] = cp[i]
                span = 2
                while (k + 1) % span == 0 and span <= size:
                    # the balanced span [a, k] and, as in Stan, its two halves each joined to
                    # the nearest state of the other half (catches U-turns across the seam)
                    a = k + 1 - span
                    h = a + span // 2
                    s1 = s2 = s3 = s4 = s5 = s6 = 0.0
                    for i in range(p):
                        r = cum[k + 1, i] - cum[a, i]
                        s1 += first_p[a, i] * r
                        s2 += cp[i] * r
                        r = cum[h, i] - cum[a, i] + first_p[h, i]
                        s3 += first_p[a, i] * r
                        s4 += first_p[h, i] * r
                        r = first_p[h - 1, i] + cum[k + 1, i] - cum[h, i]
                        s5 += first_p[h - 1, i] * r
                        s6 += cp[i] * r
                    if s1 <= 0 or s2 <= 0 or s3 <= 0 or s4 <= 0 or s5 <= 0 or s6 <= 0:
                        valid = False
                    span *= 2
                if not valid:
                    break
            if not valid:
                hit_max = False
                break
            if np.log(rng.random()) < sub_log_w - log_w:
                pq[:] = sq
                pg[:] = sg
                pp[:] = sp
                plp = slp
            log_w = _logaddexp(log_w, sub_log_w)
            # Stan's extra checks across the seam between the old tree and the new subtree:
            # (old tree + first new state) and (old tree's near end + new subtree).
            s1 = s2 = s3 = s4 = 0.0
            for i in range(p):
                near = rpm[i] if fwd else lpm[i]
                far = lpm[i] if fwd else rpm[i]
                r = rho[i] + first_p[0, i]
                s1 += far * r
                s2 += first_p[0, i] * r
                r = near + cum[size, i]
                s3 += near * r
                s4 += cp[i] * r
            seam_turn = s1 <= 0 or s2 <= 0 or s3 <= 0 or s4 <= 0
            for i in range(p):
                rho[i] += cum[size, i]
            if fwd:
                rq[:] = cq
                rpm[:] = cp
                rg[:] = cg
            else:
                lq[:] = cq
                lpm[:] = cp
                lg[:] = cg
            depth = j + 1
            if _dot(lpm, rho) <= 0 or _dot(rpm, rho) <= 0 or seam_turn:
                hit_max = False
                break
        q[:] = pq
        g[:] = pg
        lp = plp
        accept = sum_acc / max(n_steps, 1)
        # ---- adaptation ----
        if it < tune:
            da_t += 1
            h_bar = (1.0 - 1.0 / (da_t + 10.0)) * h_bar + (target_accept - accept) / (da_t + 10.0)
            log_eps = da_mu - np.sqrt(da_t) / 0.05 * h_bar
            w = da_t**-0.75
            log_eps_bar = w * log_eps + (1.0 - w) * log_eps_bar
            eps = np.exp(log_eps)
            if win_start <= it < last_end and diag:
                w_n += 1  # Welford's update of the window's mean and sums of squares
                for i in range(p):
                    bi = center[i] + L[i, 0] * q[i]
                    di = bi - w_mean[i]
                    w_mean[i] += di / w_n
                    w_m2[i, 0] += di * (bi - w_mean[i])
            elif win_start <= it < last_end:
                for i in range(p):  # beta of the current state, for the covariance window
                    acc = center[i]
                    for k in range(i + 1):
                        acc += L[i, k] * q[k]
                    beta[i] = acc
                w_n += 1  # Welford's update of the window's mean and scatter matrix
                d_old = beta - w_mean
                w_mean += d_old / w_n
                d_new = beta - w_mean
                for i in range(p):
                    for k in range(p):
                        w_m2[i, k] += d_old[i] * d_new[k]
            for e_i in range(n_ends):
                if it + 1 == win_ends[e_i] and diag:
                    # Stan's regularized variances: (n / (n + 5)) var + 1e-3 * 5 / (n + 5)
                    for i in range(p):
                        bi = center[i] + L[i, 0] * q[i]  # current state, before L changes
                        vi = w_m2[i, 0] / (w_n - 1)
                        vi = (w_n / (w_n + 5.0)) * vi + 1e-3 * (5.0 / (w_n + 5.0))
                        L[i, 0] = np.sqrt(vi)
                        q[i] = (bi - center[i]) / L[i, 0]
                elif it + 1 == win_ends[e_i]:
                    for i in range(p):  # current state on the beta scale, before L changes
                        acc = center[i]
                        for k in range(i + 1):
                            acc += L[i, k] * q[k]
                        beta[i] = acc
                    cov = (w_m2 + shrink * cov0) / (w_n - 1 + shrink)
                    cov = 0.5 * (cov + cov.T)
                    L[:, :] = np.linalg.cholesky(cov)
                    q[:] = np.linalg.solve(L, beta - center)
                if it + 1 == win_ends[e_i]:
                    lp = _logp_u(q, center, L, X, y, m, T, fam, mu, sigma, nu, grp, beta, gb, g)
                    n_grad += 1
                    w_n = 0
                    w_mean[:] = 0.0
                    w_m2[:, :] = 0.0
                    eps = _init_step_size(eps, q, lp, g, rng, center, L, X, y, m, T, fam, mu, sigma, nu, grp, beta, gb)
                    da_mu = np.log(2.0 * eps)
                    h_bar = 0.0
                    log_eps_bar = 0.0
                    da_t = 0
            if it + 1 == tune:
                eps = np.exp(log_eps_bar)
        else:
            k = it - tune
            for i in range(p):
                if diag:
                    out_beta[k, i] = center[i] + L[i, 0] * q[i]
                    continue
                acc = center[i]
                for kk in range(i + 1):
                    acc += L[i, kk] * q[kk]
                out_beta[k, i] = acc
            out_int[k, 0] = depth
            out_int[k, 1] = n_steps
            out_int[k, 2] = 1 if diverging else 0
            out_int[k, 3] = 1 if hit_max else 0
            out_float[k, 0] = accept
            out_float[k, 1] = -plp + 0.5 * _dot(pp, pp)  # energy of the selected state
            out_float[k, 2] = lp
            out_float[k, 3] = eps
    fst[0] = lp
    fst[1] = eps
    fst[2] = da_mu
    fst[3] = h_bar
    fst[4] = log_eps_bar
    ist[0] = n_grad
    ist[1] = da_t
    ist[2] = w_n


@cached_njit(depends=_DEPENDS, nogil=True)
def run_chain(
    X,
    y,
    m,
    T,
    fam,
    mu,
    sigma,
    nu,
    grp,
    center,
    cov0,
    u0,
    rng,
    tune,
    draws,
    target_accept,
    max_depth,
    win_start,
    win_ends,
    shrink,
    out_beta,
    out_int,
    out_float,
):
    """Warm up and sample one chain in one go (:func:`init_chain` + one :func:`run_block`).
    Returns the number of gradient evaluations."""
    p = u0.shape[0]
    L = np.empty((p, p))
    q = np.empty(p)
    g = np.empty(p)
    fst = np.empty(5)
    ist = np.zeros(3, dtype=np.int64)
    init_chain(X, y, m, T, fam, mu, sigma, nu, grp, center, cov0, u0, rng, L, q, g, fst, ist)
    run_block(
        X,
        y,
        m,
        T,
        fam,
        mu,
        sigma,
        nu,
        grp,
        center,
        cov0,
        rng,
        tune,
        draws,
        target_accept,
        max_depth,
        win_start,
        win_ends,
        shrink,
        L,
        q,
        g,
        fst,
        ist,
        np.zeros(p),
        np.zeros((p, p)),
        0,
        tune + draws,
        out_beta,
        out_int,
        out_float,
    )
    return ist[0]
