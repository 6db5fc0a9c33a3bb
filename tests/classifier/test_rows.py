"""Rows keep ids, subjects and expression donors; generated datasets are checked on the way in."""

import numpy as np
import pytest

from pipeline.classifier.rows import Rows, load_generated
from pipeline.core.errors import PipelineError

from .helpers import synthetic_rows, transferred_rows


def test_digest_sees_new_pixels_under_old_ids(demo_dataset):
    """A retrained GAN writes new images under the same ids: its classifier must not resume old backups."""
    rows = Rows.of(demo_dataset)
    changed = Rows.of(demo_dataset)
    changed.images = changed.images.copy()
    changed.images[0, 0, 0] ^= 1
    assert rows.digest() == Rows.of(demo_dataset).digest()
    assert rows.digest() != changed.digest()


def test_synthetic_rows_outside_train_are_refused(demo_dataset, tmp_path):
    bad = synthetic_rows(demo_dataset)
    bad.split[:] = "test"
    bad.save(tmp_path / "bad.npz")
    with pytest.raises(PipelineError, match="split='train'"):
        load_generated(tmp_path / "bad.npz", demo_dataset, "gan")
    with pytest.raises(PipelineError, match="missing; mode gan"):
        load_generated(tmp_path / "absent.npz", demo_dataset, "gan")


def test_transferred_rows_keep_identity_and_donor(demo_dataset, tmp_path):
    transferred_rows(demo_dataset).save(tmp_path / "transfer.npz")
    rows = load_generated(tmp_path / "transfer.npz", demo_dataset, "transfer")
    assert rows.synthetic.all() and (rows.subject == demo_dataset.subject).all()
    donor = demo_dataset.subject[0 - 7]  # np.roll by 7: row 0's donor is row -7's subject
    assert rows.donor[0] == donor and rows.tied_to({donor})[0]
    assert not rows.tied_to({""}).any()
    gan = load_generated(tmp_path / "transfer.npz", demo_dataset, "gan")  # a GAN's faces belong to no one
    assert not gan.tied_to(set(demo_dataset.subject)).any() and np.all(gan.donor == "")
