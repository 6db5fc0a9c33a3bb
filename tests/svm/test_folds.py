"""Subject-independent folds."""

import numpy as np

from pipeline.svm.folds import group_folds, subject_groups


def test_no_subject_in_train_and_test_of_any_fold(demo_dataset):
    groups, kind = subject_groups(demo_dataset)
    assert kind == "subject"
    folds = group_folds(demo_dataset.labels, groups, 10, seed=0)
    assert len(folds) == 10
    seen = np.zeros(len(groups), int)
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])
        seen[test] += 1
    assert np.all(seen == 1)  # every row tested exactly once


def test_rows_without_subjects_keep_identical_images_together(demo_dataset):
    ds = demo_dataset.subset(np.arange(30))
    ds.images[10] = ds.images[0]  # a FER-2013-style duplicate
    ds.subject[:] = ""
    ds.sequence[:] = ""
    groups, kind = subject_groups(ds)
    assert kind == "identical-image" and groups[10] == groups[0] and len(set(groups)) == 29
