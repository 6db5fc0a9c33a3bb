"""FaceDataset edge cases: an empty selection keeps its AU columns (augment plans may select nothing)."""

import numpy as np

from pipeline.core.dataset import FaceDataset


def test_empty_dataset_with_au_columns():
    ds = FaceDataset(images=np.zeros((0, 48, 48), np.uint8), labels=[], classes=["happy"], split=[], ids=[],
                     au=np.zeros((0, 3), np.uint8), au_codes=[1, 2, 4])
    assert ds.au.shape == (0, 3)
    assert list(ds.au_codes) == [1, 2, 4]
