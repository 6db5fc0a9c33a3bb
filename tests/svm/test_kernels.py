"""The precomputed Gram matrix gives libsvm's own RBF SVM."""

import numpy as np

from pipeline.svm.kernels import KernelMap


def test_kernel_map_matches_sklearn_rbf_svc(planted):
    from sklearn.svm import SVC

    X, y, _ = planted()
    ref = SVC(kernel="rbf", gamma=0.02, C=3.0).fit(X, y).decision_function(X)
    km = KernelMap("rbf", 0.02).fit(X)
    ours = SVC(kernel="precomputed", C=3.0).fit(km.transform(X), y).decision_function(km.transform(X))
    assert np.allclose(ref, ours, atol=1e-3)
