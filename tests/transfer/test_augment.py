"""Which transferred faces augment_transfer makes, and their dataset."""

import numpy as np

from pipeline.transfer.augment import plan_augmentation, transferred_dataset


def test_augmentation_plan_gives_subjects_expressions_they_lack(demo_dataset):
    d = demo_dataset
    rows = np.arange(len(d))
    plan = plan_augmentation(d.labels, d.subject, rows, per_subject=2, seed=0)
    assert plan
    for t, s in plan:
        assert d.subject[t] != d.subject[s]
        assert d.labels[s] not in set(d.labels[d.subject == d.subject[t]].tolist())
    per_target = {}
    for t, _ in plan:
        per_target[d.subject[t]] = per_target.get(d.subject[t], 0) + 1
    assert max(per_target.values()) <= 2


def test_transferred_dataset_rows(demo_dataset):
    d = demo_dataset
    plan = plan_augmentation(d.labels, d.subject, np.arange(len(d)), per_subject=1, seed=0)
    out = np.zeros((len(plan), 16, 16, 1), np.float32)
    aug = transferred_dataset(d, plan, out)
    assert len(aug) == len(plan) and aug.image_size == d.image_size and aug.synthetic.all()
    assert aug.ids[0] == f"transfer/{d.ids[plan[0][0]]}|{d.ids[plan[0][1]]}"
    assert np.all(aug.images == 128) or np.all(aug.images == 127)  # 0 in [-1, 1] is mid grey
