"""Pre-routing trained inside a replay on the recorded training split: whether the cheap model suffices
(its answer is right, or the capable model's is wrong too), predicted from the category label or from the
prompt text (scikit-learn's hashing vectorizer and logistic regression, the optional extra `simroute[text]`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario.replay import RouterFeatures

TEXT_FEATURES = 2 ** 16
TEXT_C = 1.0  # inverse L2 strength of the text model (scikit-learn's default)


@dataclass(frozen=True)
class RouterChoice:
    """The router's P(cheap suffices) on every recorded query, what it read, and one line saying so."""

    kind: RouterFeatures
    scores: np.ndarray  # float64 (N,)
    note: str


def category_scores(category: np.ndarray, k: int, suffices: np.ndarray, train_rows: np.ndarray) -> np.ndarray:
    """Per category, the training split's share of queries the cheap model sufficed on (one success and one
    failure of smoothing); a category absent from the training split gets the split's overall share."""
    c, y = category[train_rows], suffices[train_rows].astype(np.float64)
    n = np.bincount(c, minlength=k)
    hits = np.bincount(c, weights=y, minlength=k)
    overall = (y.sum() + 1.0) / (len(y) + 2.0)
    rate = np.where(n > 0, (hits + 1.0) / (n + 2.0), overall)
    return rate[category]


def text_scores(prompts: list[str], category: np.ndarray, categories: tuple[str, ...], suffices: np.ndarray,
                train_rows: np.ndarray) -> np.ndarray:
    """Logistic regression on the prompt's hashed words (unit length) beside a one-hot block
    of its category, so the text can only add to what the category router knows."""
    from scipy import sparse  # lazy: only with the optional extra simroute[text]
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.linear_model import LogisticRegression
    n = len(prompts)
    vec = HashingVectorizer(n_features=TEXT_FEATURES, ngram_range=(1, 1), alternate_sign=False, norm="l2")
    onehot = sparse.csr_matrix((np.ones(n), (np.arange(n), category.astype(np.int64))), shape=(n, len(categories)))
    x = sparse.hstack([vec.transform(prompts), onehot]).tocsr()
    y = suffices[train_rows].astype(int)
    if len(np.unique(y)) < 2:
        return np.full(n, float(y.mean()) if len(y) else 0.5)
    model = LogisticRegression(C=TEXT_C, solver="liblinear", random_state=0, max_iter=1000)
    model.fit(x[train_rows], y)
    return model.predict_proba(x)[:, 1]


def text_available() -> bool:
    """Whether the optional extra for the text router is installed."""
    try:
        import sklearn  # noqa: F401  # lazy: optional extra simroute[text]
    except ImportError:
        return False
    return True


def train_router(wanted: RouterFeatures, prompts: list[str] | None, category: np.ndarray,
                 categories: tuple[str, ...], suffices: np.ndarray, train_rows: np.ndarray) -> RouterChoice:
    """The text router when asked for (or `auto`) and possible, else the category router, with the reason."""
    n_train = len(train_rows)
    if wanted is not RouterFeatures.category:
        if prompts is None:
            reason = "the eval has no prompt text"
        elif not text_available():
            reason = "scikit-learn is not installed (pip install 'simroute[text]')"
        else:
            return RouterChoice(RouterFeatures.text, text_scores(prompts, category, categories, suffices,
                                                                 train_rows),
                                f"replay: pre-routing on the prompt text (hashing vectorizer + logistic "
                                f"regression), trained on {n_train} recorded queries")
        note = f"replay: pre-routing on categories: {reason}"
        if wanted is RouterFeatures.auto and prompts is None:
            note = f"replay: pre-routing on categories ({reason}), trained on {n_train} recorded queries"
        return RouterChoice(RouterFeatures.category, category_scores(category, len(categories), suffices,
                                                                     train_rows), note)
    return RouterChoice(RouterFeatures.category, category_scores(category, len(categories), suffices, train_rows),
                        f"replay: pre-routing on categories, trained on {n_train} recorded queries")
