"""The compiled log density of a model with group terms or sampled scales, for :mod:`.kernel`.

The sampler's position is ``theta = [population block (p) | log taus | per term: log sd (k),
Cholesky parameters (k(k-1)/2, correlated terms only), z (levels x k, row-major)]`` (layout:
:class:`bayeslogit.fit.nuts.group_density.GroupDensity`). Non-centred, as the PyMC model of
:mod:`bayeslogit.fit.group_model`: ``b_l = diag(sd) L z_l`` with ``z_l ~ N(0, I)``, ``R = L L'``
under ``LKJ(eta)``; the linear predictor of row ``i`` gains ``sum_c values[i, c] b[index[i], c]``
per term (a gather, never a dense ``Z``), so a gradient costs O(rows x terms + levels x k^2).

The transforms are Stan's: ``sd = exp(log sd)`` (log Jacobian ``log sd``); the Cholesky factor
of a correlation matrix from ``k(k-1)/2`` unconstrained values through ``tanh`` to canonical
partial correlations (Stan reference manual, "Cholesky factors of correlation matrices"), with
its log Jacobian. Sd priors by code (``ScalePrior.kernel_params``): 0 HalfNormal(s), 1
HalfStudentT(nu, s), 2 InvGamma(s, nu) (the horseshoe's slab), densities up to constants.

Population coefficients under ``Normal(mu, HalfNormal(s))`` (sampled scale) are non-centred as
well: ``mu + tau z``, ``z`` in their place in ``theta`` (prior N(0, 1), code 0 with unit scale),
``log tau`` after the population block. Under the regularized horseshoe, ``z_j tau lambda~_j``
with ``lambda~_j^2 = c2 lambda_j^2 / (c2 + tau^2 lambda_j^2)``: ``log tau``, ``log c2`` and one
``log lambda_j`` per coefficient after the population block, ``tau``, ``lambda_j`` half-Cauchy
(code 1, ``nu = 1``), ``c2`` inverse gamma (code 2: ``s`` the shape, ``nu`` the scale), every
log scale with its Jacobian (PyMC's log transform: the density of PyMC's model).

The group arrays travel as one tuple ``grp = (index, values, terms, sd_prior, eta, hidx, hmu,
tau_prior, cat)``:

- ``index`` (n, terms) int64: the level of every row in every term;
- ``values`` (n, K) float64: the terms' value columns side by side;
- ``terms`` (terms, 6) int64: per term ``k``, first column in ``values`` (and first sd prior),
  levels, theta offset of the log sds, of the Cholesky parameters (-1: none), of ``z``;
- ``sd_prior`` (K, 3) float64: per sd ``code, s, nu``;
- ``eta`` (terms,) float64: the LKJ shape of each term (unused for uncorrelated terms);
- ``hidx`` (p,) int64: per population coefficient its tau (-1: none); ``hmu`` (p,) its mu;
- ``tau_prior`` (taus, 5) float64: per tau ``code, s, nu`` as ``sd_prior``, then for a horseshoe's
  local scale the rows of its ``tau`` and ``c2`` (-1 for any other scale);
- ``cat`` int64: the categorical families' description (:mod:`.categorical_kernel`), ``[0, ...]``
  for a binary response.

A model without group terms or sampled scales passes ``terms`` and ``tau_prior`` with no rows
and takes the kernel's own density.

The data pass (:func:`_rows`) is where the time goes, and it is written for speed: rows in runs
of one level of the first term (the density sorts them so), in blocks, column by column where
the compiler can vectorize. Each row needs ``log(1 + e^-|eta|)``; for rows with ``m = 1``
(Bernoulli) the block takes one ``log`` of the product of the ``1 + e^-|eta|`` (each in (1, 2],
so 256 of them stay below 2^256) instead of one ``log1p`` a row: the log is the slower of the
row's two transcendental calls, and the product's relative rounding error (under 256 x 2^-53 a
block) is of the order of the float sum's own. Together about 1.9x faster than a row at a time
with ``log1p`` (11 against 21 ns a row at 100,000 rows x 1,000 levels, ``(1 + x | g)``; nutpie's
compiled PyMC gradient of the same model: 34-35 ns a row; ``benchmarks/groups.py grad``).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import numpy as np

from .cache import cached_njit

_FM = {"contract", "reassoc", "nsz", "arcp"}


@cached_njit(nogil=True, error_model="numpy")
def _cholesky_corr(y, k, Lc, Z):
    """Lc (k x k lower) from unconstrained ``y`` (Stan's order: row by row); ``Z`` gets the
    partial correlations ``tanh(y)``. Returns the log Jacobian."""
    lj = 0.0
    Lc[:, :] = 0.0
    Lc[0, 0] = 1.0
    pos = 0
    for i in range(1, k):
        s = 0.0
        for j in range(i):
            z = np.tanh(y[pos])
            Z[i, j] = z
            lj += np.log1p(-z * z)  # d tanh / dy
            if j > 0:
                lj += 0.5 * np.log1p(-s)
            Lc[i, j] = z * np.sqrt(1.0 - s)
            s += Lc[i, j] * Lc[i, j]
            pos += 1
        Lc[i, i] = np.sqrt(1.0 - s)
    return lj


@cached_njit(nogil=True, error_model="numpy")
def _cholesky_corr_back(k, Lc, Z, gL, gy):
    """Reverse pass of :func:`_cholesky_corr` with its log Jacobian: ``gy`` gets
    d(log Jacobian + G)/dy given ``gL = dG/dLc`` (lower triangle, diagonal included)."""
    pos = k * (k - 1) // 2
    for i in range(k - 1, 0, -1):
        pos -= i
        # recompute the running sums s_j (sum of squares before column j)
        s_before = np.empty(i + 1)
        s = 0.0
        for j in range(i):
            s_before[j] = s
            s += Lc[i, j] * Lc[i, j]
        s_before[i] = s
        gs = gL[i, i] * (-0.5 / Lc[i, i])
        for j in range(i - 1, -1, -1):
            gx = gL[i, j] + 2.0 * Lc[i, j] * gs
            w = np.sqrt(1.0 - s_before[j])
            z = Z[i, j]
            gz = gx * w
            if j > 0:
                gs += gx * z * (-0.5 / w) - 0.5 / (1.0 - s_before[j])
            gy[pos + j] = gz * (1.0 - z * z) - 2.0 * z


@cached_njit(nogil=True, error_model="numpy")
def _sd_logprior(sd, code, s, nu):
    """Log density of ``sd`` (up to a constant) and its derivative in ``log sd``, Jacobian
    ``log sd`` included."""
    if code == 0:  # HalfNormal(s)
        return -0.5 * (sd / s) ** 2 + np.log(sd), -((sd / s) ** 2) + 1.0
    if code == 2:  # InvGamma(a = s, b = nu) (the horseshoe's slab c^2)
        return -s * np.log(sd) - nu / sd, -s + nu / sd
    t = sd / s  # HalfStudentT(nu, s)
    return -0.5 * (nu + 1.0) * np.log1p(t * t / nu) + np.log(sd), -(nu + 1.0) * t * t / (nu + t * t) + 1.0


@cached_njit(nogil=True, error_model="numpy")
def _coef_scale(theta, p, hprior, h):
    """The scale ``r`` of a population coefficient whose scale is row ``h`` of ``hprior``
    (``raw = mu + r z``) and ``d log r`` by its own log scale, the horseshoe's ``log tau`` and
    its ``log c2``: ``exp(theta[p + h])``, 1, 0, 0 for a plain ``tau``; for a horseshoe's local
    scale (``hprior[h, 3:5]``: the rows of ``tau`` and ``c2``) ``r = tau lambda~`` with
    ``lambda~^2 = c2 lambda^2 / (c2 + tau^2 lambda^2)``, in logs (no overflow)."""
    if hprior.shape[1] < 5 or hprior[h, 3] < 0:
        return np.exp(theta[p + h]), 1.0, 0.0, 0.0
    ll = theta[p + h]
    lt = theta[p + int(hprior[h, 3])]
    lc = theta[p + int(hprior[h, 4])]
    lu = 2.0 * (lt + ll)  # log tau^2 lambda^2
    dl = lu - lc
    w = 1.0 / (1.0 + np.exp(-dl))  # tau^2 lambda^2 / (c2 + tau^2 lambda^2)
    log_sum = max(lu, lc) + np.log1p(np.exp(-abs(dl)))
    r = np.exp(lt + 0.5 * (lc + 2.0 * ll - log_sum))
    return r, 1.0 - w, 1.0 - w, 0.5 * w


@cached_njit(nogil=True, fastmath=_FM, error_model="numpy")
def fixed_prior(beta, T, fam, mu, sigma, nu, grad):
    """Log prior of the population coefficients ``beta[:p]`` (``p = T.shape[1]``): one prior
    per row of ``T`` at ``(T beta)_j``, codes as :meth:`bayeslogit.priors.base.Prior.kernel_params`
    (``T`` is square but for the categorical families' stacked map, :mod:`.categorical_kernel`);
    sets ``grad[:p]`` to its gradient."""
    r = T.shape[0]
    p = T.shape[1]
    lp = 0.0
    g_raw = np.zeros(r)
    for j in range(r):
        raw = 0.0
        for k in range(p):
            raw += T[j, k] * beta[k]
        z = (raw - mu[j]) / sigma[j]
        if fam[j] == 0:
            lp -= 0.5 * z * z
            g_raw[j] = -z / sigma[j]
        elif fam[j] == 1:
            lp -= 0.5 * (nu[j] + 1.0) * np.log1p(z * z / nu[j])
            g_raw[j] = -(nu[j] + 1.0) * z / (nu[j] + z * z) / sigma[j]
        elif fam[j] == 3:  # Laplace(mu, b): sigma = b
            lp -= abs(z)
            g_raw[j] = -np.sign(z) / sigma[j]
        elif fam[j] == 4:  # elastic net: sigma = 1 / l1, nu = l2
            d = raw - mu[j]
            lp -= abs(z) + 0.5 * nu[j] * d * d
            g_raw[j] = -np.sign(z) / sigma[j] - nu[j] * d
    for k in range(p):
        acc = 0.0
        for j in range(r):
            acc += T[j, k] * g_raw[j]
        grad[k] = acc
    return lp


#: Rows per block of the data pass (:func:`_rows`): its buffers stay in L1.
_BLOCK = 256


@cached_njit(nogil=True, fastmath=_FM, error_model="numpy")
def _rows(X, y, m, pe, index, values, terms, zstart, b, gpe, gb):
    """The likelihood's part: ``sum_i y_i eta_i - m_i log(1 + e^eta_i)``; adds its gradient in
    the population coefficients ``pe`` to ``gpe`` and in the group effects ``b`` to ``gb``.

    Rows go in runs of one level of the first term (the whole data when there is no term) and,
    within a run, in blocks of :data:`_BLOCK`: the linear predictor column by column, then the
    log-likelihood and residual row by row, then the gradient sums column by column. In a run
    the first term's effects are constants and their gradient one sum, so the passes are plain
    loops over contiguous rows that the compiler vectorizes; other terms gather and scatter by
    level. Correct for rows in any order; :class:`.group_density.GroupDensity` sorts them by
    the first term's level, so the runs are the levels (about 1.3x faster than a row at a
    time at 100,000 rows x 1,000 levels)."""
    n = X.shape[0]
    p = pe.shape[0]
    has_offset = X.shape[1] > p
    nt = terms.shape[0]
    k0 = terms[0, 0] if nt > 0 else 0
    col00 = terms[0, 1] if nt > 0 else 0
    eb = np.empty(_BLOCK)
    rb = np.empty(_BLOCK)
    lp = 0.0
    start = 0
    while start < n:
        end = n
        ob = 0
        if nt > 0:
            lv = index[start, 0]
            end = start + 1
            while end < n and index[end, 0] == lv:
                end += 1
            ob = terms[0, 5] - zstart + lv * k0
        a0 = start
        while a0 < end:
            w = min(_BLOCK, end - a0)
            for i in range(w):
                eb[i] = X[a0 + i, p] if has_offset else 0.0
            for j in range(p):
                pj = pe[j]
                for i in range(w):
                    eb[i] += X[a0 + i, j] * pj
            for c in range(k0):
                bc = b[ob + c]
                for i in range(w):
                    eb[i] += values[a0 + i, col00 + c] * bc
            for t in range(1, nt):
                k, col0, z0 = terms[t, 0], terms[t, 1], terms[t, 5]
                for i in range(w):
                    o = z0 - zstart + index[a0 + i, t] * k
                    for c in range(k):
                        eb[i] += values[a0 + i, col0 + c] * b[o + c]
            prod = 1.0  # of 1 + e^-|eta| over rows with m = 1: one log a block (module docstring)
            for i in range(w):
                eta = eb[i]
                mi = m[a0 + i]
                a = np.exp(-abs(eta))
                q = 1.0 + a
                inv = 1.0 / q
                s = inv if eta >= 0 else a * inv
                lp += y[a0 + i] * eta - mi * max(eta, 0.0)
                if mi == 1.0:
                    prod *= q
                else:
                    lp -= mi * np.log(q)
                rb[i] = y[a0 + i] - mi * s
            lp -= np.log(prod)
            for j in range(p):
                acc = 0.0
                for i in range(w):
                    acc += rb[i] * X[a0 + i, j]
                gpe[j] += acc
            for c in range(k0):
                acc = 0.0
                for i in range(w):
                    acc += rb[i] * values[a0 + i, col00 + c]
                gb[ob + c] += acc
            for t in range(1, nt):
                k, col0, z0 = terms[t, 0], terms[t, 1], terms[t, 5]
                for i in range(w):
                    o = z0 - zstart + index[a0 + i, t] * k
                    for c in range(k):
                        gb[o + c] += rb[i] * values[a0 + i, col0 + c]
            a0 += w
        start = end
    return lp


@cached_njit(nogil=True, fastmath=_FM, error_model="numpy")
def group_logp_grad(theta, X, y, m, T, fam, mu, sigma, nu, grp, grad):
    """Log density at ``theta`` (module docstring), gradient into ``grad``."""
    index, values, terms, sdp, eta_lkj, hidx, hmu, hprior = (
        grp[0],
        grp[1],
        grp[2],
        grp[3],
        grp[4],
        grp[5],
        grp[6],
        grp[7],
    )
    p = T.shape[0]
    d = theta.shape[0]
    for j in range(p, d):
        grad[j] = 0.0
    lp = fixed_prior(theta, T, fam, mu, sigma, nu, grad)
    # population coefficients: theta[j], or mu_j + tau z_j under a sampled scale (z_j = theta[j],
    # whose N(0, 1) prior fixed_prior gives; log tau_h = theta[p + h])
    nh = hprior.shape[0]
    pe = np.empty(p)
    gpe = np.zeros(p)
    for j in range(p):
        pe[j] = theta[j]
        if nh > 0 and hidx[j] >= 0:
            pe[j] = hmu[j] + _coef_scale(theta, p, hprior, hidx[j])[0] * theta[j]
    for h in range(nh):
        lpc, gc = _sd_logprior(np.exp(theta[p + h]), int(hprior[h, 0]), hprior[h, 1], hprior[h, 2])
        lp += lpc
        grad[p + h] += gc
    nt = terms.shape[0]
    # group effects b, flat, in the same layout as z (theta[z0 + l*k + c] -> b[z0 - zstart + ...])
    zstart = terms[0, 5] if nt > 0 else d
    b = np.empty(d - zstart)
    gb = np.zeros(d - zstart)
    kmax = 1
    for t in range(nt):
        kmax = max(kmax, terms[t, 0])
    Lc = np.zeros((kmax, kmax))
    Zc = np.zeros((kmax, kmax))
    gL = np.zeros((kmax, kmax))
    sd = np.empty(kmax)
    for t in range(nt):
        k, col0, nl, s0, c0, z0 = terms[t, 0], terms[t, 1], terms[t, 2], terms[t, 3], terms[t, 4], terms[t, 5]
        for c in range(k):
            sd[c] = np.exp(theta[s0 + c])
            lpc, gc = _sd_logprior(sd[c], int(sdp[col0 + c, 0]), sdp[col0 + c, 1], sdp[col0 + c, 2])
            lp += lpc
            grad[s0 + c] += gc
        if c0 >= 0:
            lp += _cholesky_corr(theta[c0 : c0 + k * (k - 1) // 2], k, Lc, Zc)
            for i in range(1, k):  # LKJ(eta) on the Cholesky factor
                lp += (k - i - 1 + 2.0 * (eta_lkj[t] - 1.0)) * np.log(Lc[i, i])
        for lv in range(nl):
            o = z0 + lv * k
            for c in range(k):
                zc = theta[o + c]
                lp -= 0.5 * zc * zc
                grad[o + c] -= zc
                if c0 >= 0:
                    acc = 0.0
                    for j in range(c + 1):
                        acc += Lc[c, j] * theta[o + j]
                    b[o - zstart + c] = sd[c] * acc
                else:
                    b[o - zstart + c] = sd[c] * zc
    lp += _rows(X, y, m, pe, index, values, terms, zstart, b, gpe, gb)
    for j in range(p):  # back from the coefficients to z and log tau
        if nh > 0 and hidx[j] >= 0:
            h = hidx[j]
            r, d_own, d_tau, d_c2 = _coef_scale(theta, p, hprior, h)
            grad[j] += gpe[j] * r
            v = gpe[j] * r * theta[j]
            grad[p + h] += v * d_own
            if d_tau != 0.0 or d_c2 != 0.0:
                grad[p + int(hprior[h, 3])] += v * d_tau
                grad[p + int(hprior[h, 4])] += v * d_c2
        else:
            grad[j] += gpe[j]
    # back from b to z, log sd and the Cholesky parameters
    for t in range(nt):
        k, nl, s0, c0, z0 = terms[t, 0], terms[t, 2], terms[t, 3], terms[t, 4], terms[t, 5]
        if c0 >= 0:
            _cholesky_corr(theta[c0 : c0 + k * (k - 1) // 2], k, Lc, Zc)
            gL[:, :] = 0.0
            for i in range(1, k):
                gL[i, i] = (k - i - 1 + 2.0 * (eta_lkj[t] - 1.0)) / Lc[i, i]
        for c in range(k):
            sd[c] = np.exp(theta[s0 + c])
        for lv in range(nl):
            o = z0 + lv * k
            ob = o - zstart
            for c in range(k):
                g = gb[ob + c]
                if c0 >= 0:
                    acc = 0.0
                    for j in range(c + 1):
                        acc += Lc[c, j] * theta[o + j]
                        grad[o + j] += g * sd[c] * Lc[c, j]
                        gL[c, j] += g * sd[c] * theta[o + j]
                    grad[s0 + c] += g * sd[c] * acc
                else:
                    grad[o + c] += g * sd[c]
                    grad[s0 + c] += g * b[ob + c]
        if c0 >= 0:
            _cholesky_corr_back(k, Lc, Zc, gL, grad[c0 : c0 + k * (k - 1) // 2])
    return lp
