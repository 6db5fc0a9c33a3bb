"""The transfer generator's subject split follows ingest's hold-out, so the classifier's transfer mode
never tests on a subject the generator saw. (Tests pipeline.transfer.pairs, the transfer family's
library: moved here unchanged from tests/test_classifier.py.)"""

from pipeline.transfer.pairs import dataset_or_own_split

from .helpers import held_out_copy


def test_transfer_split_follows_ingest_hold_out(demo_dataset):
    ds = held_out_copy(demo_dataset)
    split = dataset_or_own_split(ds, 0.5, 0)
    assert {s for s, part in split.items() if part == "test"} == set(ds.subject[ds.split == "test"])
    ds.split[:] = "train"
    own = dataset_or_own_split(ds, 0.5, 0)
    assert sum(v == "test" for v in own.values()) == len(set(ds.subject)) // 2
