"""The one oversampler: classes brought up to the largest, fresh ids, SMOTE's k from cnn.smote_k."""

import numpy as np

from pipeline.classifier import oversampling
from pipeline.classifier.rows import Rows


def rows(counts: dict, size: int = 4, seed: int = 0) -> Rows:
    rng = np.random.default_rng(seed)
    labels = np.concatenate([np.full(n, c) for c, n in counts.items()]).astype(np.int64)
    n = len(labels)
    images = rng.integers(0, 255, (n, size, size), dtype=np.uint8)
    return Rows(images, labels, np.array([f"r{i}" for i in range(n)]), np.zeros(n, bool), np.full(n, "s"),
                np.full(n, ""))


def test_random_oversampling_duplicates_rows_up_to_the_largest_class():
    pool = rows({0: 6, 1: 2, 2: 4})
    new = oversampling.oversampled_rows(pool, "random_oversample", seed=0, smote_k=5)
    assert np.bincount((pool + new).labels).tolist() == [6, 6, 6]
    assert new.synthetic.all() and all(i.startswith("oversample:r") for i in new.ids)
    source = {i: im for i, im in zip(pool.ids, pool.images)}
    for rid, im in zip(new.ids, new.images):  # each is a copy of the row its id names
        assert np.array_equal(source[rid.split(":")[1]], im)


def test_smote_uses_smote_k_and_fewer_neighbours_for_a_small_class(monkeypatch):
    import imblearn.over_sampling

    seen = []
    real = imblearn.over_sampling.SMOTE

    def spy(**kwargs):
        seen.append(kwargs["k_neighbors"])
        return real(**kwargs)

    monkeypatch.setattr(imblearn.over_sampling, "SMOTE", spy)
    pool = rows({0: 12, 1: 8})
    new = oversampling.oversampled_rows(pool, "smote", seed=0, smote_k=3)
    assert seen == [3] and np.bincount((pool + new).labels).tolist() == [12, 12]
    assert new.synthetic.all() and len(set(new.ids)) == len(new) and new.images.dtype == np.uint8
    oversampling.oversampled_rows(rows({0: 12, 1: 3}), "smote", seed=0, smote_k=5)
    assert seen[-1] == 2  # a class of 3 rows has 2 neighbours
    # a class of 1 row has nothing to interpolate with
    assert not len(oversampling.oversampled_rows(rows({0: 5, 1: 1}), "smote", 0, 5))
