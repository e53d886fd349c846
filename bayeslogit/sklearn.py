"""A scikit-learn classifier backed by the NUTS posterior: :class:`BayesianLogisticRegression`.

scikit-learn is an optional dependency: this module imports it at import time (the class
must subclass ``BaseEstimator``), so it can only be imported where scikit-learn is installed.
``import bayeslogit`` never imports it; ``bl.BayesianLogisticRegression`` is resolved lazily
and raises an ``ImportError`` with the install command when scikit-learn is missing.

Which of scikit-learn's estimator checks apply: see the class docstring.
"""

from __future__ import annotations

import keyword
import re

import numpy as np
import pandas as pd

try:
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
except ImportError as exc:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError("bayeslogit.sklearn needs scikit-learn: pip install scikit-learn") from exc

from ._validation import resolve_renamed
from .errors import ArgumentError
from .model import LogitModel

__all__ = ["BayesianLogisticRegression"]

_RESPONSE = "y_"
_WEIGHTS = "w_"
# Sparse input is densified up to this many bytes of float64 (100 MB); above it, an error.
SPARSE_DENSIFY_LIMIT_BYTES = 100 * 1024**2


class BayesianLogisticRegression(ClassifierMixin, BaseEstimator):
    """Bayesian logistic regression as a scikit-learn classifier (binary or multinomial).

    ``fit`` draws from the posterior with NUTS (:meth:`bayeslogit.LogitModel.sample`);
    ``predict_proba`` returns the posterior mean of P(class 1) per row, i.e. the posterior
    predictive probability; ``coef_`` and ``intercept_`` are posterior means.

    Parameters
    ----------
    formula : str, optional
        ``None`` (default): ``X`` is a numeric matrix and every column enters linearly, as
        ``x0 .. x{p-1}``, or under the DataFrame's column names (``feature_names_in_``; a name
        that is not a Python identifier is quoted, ``Q('a b')``). Sparse ``X`` is densified up
        to 100 MB (``SPARSE_DENSIFY_LIMIT_BYTES``); larger sparse input raises an error. Otherwise a patsy right-hand side over the columns of a DataFrame
        ``X``, written ``"~ x1 + C(g)"`` (a left-hand side, if given, is ignored: the response
        is ``y``).
    priors : Prior or dict, optional
        Coefficient priors, as :class:`bayeslogit.LogitModel`'s ``priors`` (``None``: the
        default weakly-informative priors). With ``formula=None``, dict keys are ``x0``...
    prior : Prior or dict, optional
        Deprecated alias of ``priors`` (scikit-learn's convention: defaults to
        ``"deprecated"``; setting it warns with a FutureWarning at ``fit``); removed in the
        next release.
    draws, tune, chains : int
        NUTS draws and warm-up iterations per chain, and number of chains; ``tune=None``
        (default) lets :meth:`LogitModel.sample` choose (200 for bayeslogit's NUTS started at
        the posterior mode, 1000 for the other samplers).
    random_seed : int, optional
        Seed of the sampler: the same seed gives the same fit.
    random_state : int, optional
        scikit-learn's name of the seed, the same as ``random_seed``: set either (setting both
        to different values raises an :class:`~bayeslogit.ArgumentError` at ``fit``).
    sampler : {"auto", "pymc", "nutpie", "numpyro"}
        NUTS implementation.
    target_accept : float or None
        NUTS target acceptance rate; None (default): 0.8, or 0.99 under a horseshoe prior
        (:meth:`bayeslogit.LogitModel.sample`).

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The class labels; ``classes_[1]`` is the event (P(y = classes_[1]) is modelled).
    coef_ : ndarray of shape (1, n_coef)
        Posterior means of the coefficients other than the intercept (design columns, in
        ``coef_names_`` order; with ``formula=None``, one per feature).
    intercept_ : ndarray of shape (1,)
        Posterior mean of the intercept.
    coef_names_ : list of str
        Design column names behind ``coef_``.
    posterior_ : PosteriorResults
        The full fit: ``summary()``, ``coef_table()``, ``predict(kind="draws")``, ``save``...
    n_features_in_, feature_names_in_
        As in scikit-learn.

    Notes
    -----
    All of scikit-learn's ``check_estimator`` checks pass with a fixed ``random_seed`` and tiny
    draws (``tests/test_sklearn.py``, marked slow: about 60 checks, each sampling several
    times). What does not apply to a sampler-backed binary model, and how it is handled:

    - ``sample_weight``: whole-number weights are frequency weights (``LogitModel(weights=)``:
      a row of weight ``w`` counts as ``w`` identical rows; weight 0 drops the row).
      Non-integer weights are likelihood weights (each row's log-likelihood multiplied by its
      weight, as ``LogisticRegression``'s ``sample_weight``: the MAP equals scikit-learn's fit);
      the posterior is then a weighted pseudo-likelihood's, whose intervals treat the weights
      as counts (see ``LogitModel``'s ``weights``).
    - multi-class: three or more classes are a multinomial model
      (``LogitModel(family="multinomial")``, ``classes_[0]`` the reference level) sampled, with
      ``sampler="auto"``, by bayeslogit's own NUTS as binary models are; ``predict_proba`` has
      one column per class in ``classes_`` order,
      ``coef_`` is ``(n_classes, n_features)`` with the reference row at 0, and
      ``decision_function`` the log of ``predict_proba``. (scikit-learn's ``LogisticRegression``
      uses the symmetric parameterization; its probabilities are those of
      ``LogitModel(...).fit_map(priors=bl.sklearn_prior(C))``.)
    - determinism: with ``random_seed=None`` two fits give different draws, so the
      ``non_deterministic`` tag is set; with a seed, fits are reproducible and the idempotence
      checks pass.
    - array-API input: skipped by scikit-learn unless ``SCIPY_ARRAY_API=1``; PyMC needs numpy.

    ``decision_function`` is ``logit(predict_proba(X)[:, 1])`` so that it agrees with
    ``predict``. Fitted estimators pickle: the patsy design, which patsy refuses to pickle, is
    rebuilt from the stored training rows.

    Examples
    --------
    >>> import numpy as np
    >>> from bayeslogit.sklearn import BayesianLogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 2))
    >>> y = (X[:, 0] + rng.normal(size=100) > 0).astype(int)
    >>> clf = BayesianLogisticRegression(draws=100, tune=100, chains=2, random_seed=1).fit(X, y)
    >>> clf.predict_proba(X[:3]).shape, clf.coef_.shape, list(clf.classes_)
    ((3, 2), (1, 2), [np.int64(0), np.int64(1)])
    """

    def __init__(
        self,
        formula=None,
        priors=None,
        draws=1000,
        tune=None,
        chains=4,
        random_seed=None,
        sampler="auto",
        target_accept=None,
        prior="deprecated",
        random_state=None,
    ):
        self.formula = formula
        self.priors = priors
        self.prior = prior
        self.draws = draws
        self.tune = tune
        self.chains = chains
        self.random_seed = random_seed
        self.random_state = random_state
        self.sampler = sampler
        self.target_accept = target_accept

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True  # three or more classes: multinomial (issue 23)
        tags.input_tags.string = False
        tags.input_tags.sparse = True  # densified below SPARSE_DENSIFY_LIMIT_BYTES
        tags.non_deterministic = self.random_seed is None and self.random_state is None
        return tags

    # -- fitting ------------------------------------------------------------------------------

    def fit(self, X, y, sample_weight=None):
        """Sample the posterior of a logistic regression of ``y`` on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or DataFrame with ``formula``
        y : array-like of shape (n_samples,) with two or more classes (three or more: multinomial)
        sample_weight : array-like of shape (n_samples,), optional
            Numbers >= 0; weight 0 drops the row. Whole numbers are frequency weights (a row
            of weight ``w`` counts as ``w`` rows); if any is not, they are likelihood weights
            (each row's log-likelihood multiplied by its weight).

        Returns
        -------
        self
        """
        seed = self._seed()
        if self.formula is None:
            X, y = validate_data(self, X, y, dtype="numeric", ensure_min_samples=2, accept_sparse=True)
            data = pd.DataFrame(_dense(X), columns=self._columns(X.shape[1]))
            rhs = " + ".join(_term(c) for c in data.columns)
        else:
            if not isinstance(X, pd.DataFrame):
                raise ArgumentError(
                    f"with formula={self.formula!r}, X must be a pandas DataFrame holding its "
                    f"columns, got {type(X).__name__}"
                )
            rhs = self._rhs()
            if _RESPONSE in X.columns:
                raise ArgumentError(f"X may not have a column named {_RESPONSE!r}, which holds the response")
            y = column_or_1d(y, warn=True)
            if len(y) != len(X):
                raise ArgumentError(f"X has {len(X)} rows but y has {len(y)} values")
            self.n_features_in_ = X.shape[1]
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
            data = X.reset_index(drop=True).copy()
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ArgumentError(
                "A classifier cannot be trained when only one class is present. y has the one class "
                f"{list(self.classes_)}; it needs at least two"
            )
        multiclass = len(self.classes_) > 2
        if multiclass:  # the class index 0..K-1: a multinomial model with classes_[0] as the reference
            data[_RESPONSE] = np.searchsorted(self.classes_, np.asarray(y)).astype(np.int64)
        else:
            data[_RESPONSE] = (np.asarray(y) == self.classes_[1]).astype(np.int64)
        weights = None
        if sample_weight is not None:
            if _WEIGHTS in data.columns:
                raise ArgumentError(f"X may not have a column named {_WEIGHTS!r} with sample_weight")
            w = _sample_weights(sample_weight, len(data))
            keep = w > 0
            present = len(np.unique(data.loc[keep, _RESPONSE]))
            if present < 2:
                raise ArgumentError(
                    "only one class is present among the rows with sample_weight > 0; a binary "
                    "classifier needs rows of both classes"
                )
            if present < len(self.classes_):
                raise ArgumentError(
                    "a class of y has sample_weight 0 in every row; drop those rows from X and y "
                    "(the classes are those of the rows with weight > 0)"
                )
            data = data.loc[keep].reset_index(drop=True)
            data[_WEIGHTS] = w[keep]
            weights = _WEIGHTS
        model = LogitModel(
            f"{_RESPONSE} ~ {rhs}",
            data,
            priors=self._priors(),
            weights=weights,
            family="multinomial" if multiclass else "auto",
        )
        self.posterior_ = model.sample(
            draws=self.draws,
            tune=self.tune,
            chains=self.chains,
            random_seed=seed,
            sampler=self.sampler,
            target_accept=self.target_accept,
            progressbar=False,
        )
        names = model.coef_names
        means = self.posterior_.params
        self.coef_names_ = [n for n in names if n != "Intercept"]
        if multiclass:  # (K, p) posterior means, the reference class (classes_[0]) at 0
            B = np.zeros((len(self.classes_), len(names)))
            B[1:] = means.to_numpy().reshape(len(self.classes_) - 1, len(names))
            slopes = [j for j, n in enumerate(names) if n != "Intercept"]
            self.coef_ = B[:, slopes]
            self.intercept_ = B[:, names.index("Intercept")] if "Intercept" in names else np.zeros(len(B))
            return self
        self.coef_ = means.loc[self.coef_names_].to_numpy()[None, :]
        self.intercept_ = np.array([means.get("Intercept", 0.0)])
        return self

    def _priors(self):
        """``priors``, or the deprecated ``prior`` (FutureWarning; both set: ArgumentError)."""
        if isinstance(self.prior, str) and self.prior == "deprecated":
            return self.priors
        # a parameter, not a keyword of a function (scikit-learn's convention), so not declared by
        # @renamed_arguments: the same check, called here
        return resolve_renamed(
            "priors", self.priors, "prior", self.prior, where="BayesianLogisticRegression", stacklevel=4
        )

    def _seed(self):
        """``random_seed`` or its scikit-learn spelling ``random_state`` (both set and different:
        ArgumentError)."""
        a, b = self.random_seed, self.random_state
        if a is not None and b is not None and not (a is b or _same_seed(a, b)):
            raise ArgumentError(
                f"random_seed={a!r} and random_state={b!r} are the same setting (random_state is "
                "scikit-learn's name for it) but differ: set one of them"
            )
        return a if a is not None else b

    def _columns(self, p: int) -> list[str]:
        """The data's column names: ``feature_names_in_`` where ``X`` had them, else ``x0``..."""
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            return [f"x{j}" for j in range(p)]
        names = [str(n) for n in names]
        for reserved in (_RESPONSE, _WEIGHTS):
            if reserved in names:
                raise ArgumentError(f"X may not have a column named {reserved!r}, which this estimator uses")
        return names

    def _rhs(self) -> str:
        if not isinstance(self.formula, str) or not self.formula.strip():
            raise ArgumentError(f"formula must be None or a string like '~ x1 + C(g)', got {self.formula!r}")
        rhs = self.formula.split("~", 1)[1] if "~" in self.formula else self.formula
        if not rhs.strip():
            raise ArgumentError(f"formula {self.formula!r} has nothing right of '~'")
        if re.search(rf"\b{_RESPONSE}\b", rhs):
            raise ArgumentError(f"formula may not use the name {_RESPONSE!r}, which holds the response")
        return rhs.strip()

    # -- prediction -----------------------------------------------------------------------------

    def _new_data(self, X) -> pd.DataFrame:
        check_is_fitted(self)
        if self.formula is None:
            X = validate_data(self, X, dtype="numeric", reset=False, accept_sparse=True)
            return pd.DataFrame(_dense(X), columns=self._columns(X.shape[1]))
        if not isinstance(X, pd.DataFrame):
            raise ArgumentError(f"with formula={self.formula!r}, X must be a pandas DataFrame, got {type(X).__name__}")
        return X.reset_index(drop=True)

    def predict_proba(self, X) -> np.ndarray:
        """Posterior mean probabilities, columns in ``classes_`` order, shape (n_samples, n_classes)."""
        data = self._new_data(X)
        if len(self.classes_) > 2:
            return self.posterior_.predict(data).to_numpy()
        p = self.posterior_.predict(data)["mean"].to_numpy()
        return np.column_stack([1.0 - p, p])

    def decision_function(self, X) -> np.ndarray:
        """Log-odds of the posterior predictive probability of ``classes_[1]``, shape (n_samples,).

        ``logit(predict_proba(X)[:, 1])``, so that ``decision_function(X) > 0`` agrees with
        ``predict``. (The posterior mean of the log-odds, ``posterior_.predict(X, kind="linear")``,
        can differ slightly.) With three or more classes: the log posterior mean probability of
        every class, shape (n_samples, n_classes), whose largest entry is ``predict``'s class.
        """
        check_is_fitted(self)
        if len(self.classes_) > 2:
            with np.errstate(divide="ignore"):
                return np.log(self.predict_proba(X))
        p = self.predict_proba(X)[:, 1]
        return np.log(p) - np.log1p(-p)

    def predict(self, X) -> np.ndarray:
        """The class with the largest posterior mean probability."""
        check_is_fitted(self)
        if len(self.classes_) > 2:
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        p = self.predict_proba(X)[:, 1]
        return self.classes_[(p > 0.5).astype(int)]


def _same_seed(a, b) -> bool:
    try:
        return bool(a == b)
    except Exception:  # e.g. two Generators, or arrays: not comparable, so not the same
        return False


def _term(name: str) -> str:
    """A column name as a formula term: bare where it is a plain identifier, else ``Q('...')``."""
    if name.isidentifier() and not keyword.iskeyword(name) and name not in {"Intercept", "Q", "C", "I"}:
        return name
    return f"Q({name!r})"


def _dense(X):
    """``X`` as a dense array; sparse input is densified below ``SPARSE_DENSIFY_LIMIT_BYTES``."""
    if not hasattr(X, "toarray"):
        return X
    size = X.shape[0] * X.shape[1] * 8
    if size > SPARSE_DENSIFY_LIMIT_BYTES:
        raise ArgumentError(
            f"sparse X of shape {X.shape} would take {size / 1024**2:.0f} MB as a dense matrix, above "
            f"the {SPARSE_DENSIFY_LIMIT_BYTES / 1024**2:.0f} MB limit (bayeslogit.sklearn."
            "SPARSE_DENSIFY_LIMIT_BYTES): this estimator works on dense designs; reduce the columns "
            "(e.g. OneHotEncoder(min_frequency=..., max_categories=...)) or the rows"
        )
    return X.toarray()


def _sample_weights(sample_weight, n: int) -> np.ndarray:
    """``sample_weight`` as ``weights=``: int64 when all are whole numbers (frequency weights),
    float64 otherwise (likelihood weights); ArgumentError for anything else."""
    try:
        w = np.asarray(sample_weight, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ArgumentError(f"sample_weight must be numbers, got {type(sample_weight).__name__}") from exc
    if w.ndim == 0:
        w = np.full(n, float(w))
    if w.shape != (n,):
        raise ArgumentError(f"sample_weight.shape == {w.shape}, expected ({n},)")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ArgumentError("sample_weight must be finite and >= 0")
    if not np.any(w > 0):
        raise ArgumentError("sample_weight is zero for every row: nothing to fit")
    return w.astype(np.int64) if np.all(w == np.round(w)) else w
