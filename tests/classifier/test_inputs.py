"""The input pipeline: random erasing, random training windows, the centre window for evaluation."""

import numpy as np
import pytest

from pipeline.classifier import inputs
from pipeline.core.errors import PipelineError

from .helpers import keys


def test_random_erasing_blanks_one_rectangle_per_face_and_is_off_by_default():
    x = np.full((8, 24, 24), 128, np.uint8)
    no_geometry = dict(flip=False, shift=0.0, rotation=0.0, zoom=0.0)
    erase_all = inputs.classical_augmentation(keys(erasing=1.0, **no_geometry))
    out = np.asarray(erase_all(inputs.to_inputs(x), training=True))[..., 0]
    changed = ~np.isclose(out, 128 / 255.0)
    for mask in changed:  # every face loses one axis-aligned rectangle, the rest untouched
        rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
        assert mask.any() and mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].all()
        assert mask.sum() < mask.size
    assert inputs.classical_augmentation(keys(erasing=0.0, **no_geometry)) is None  # erasing 0: off


def test_crop_windows_train_on_random_windows_and_evaluate_the_centre():
    x = (np.arange(2 * 12 * 12).reshape(2, 12, 12) % 251).astype(np.uint8)
    # training windows are true 8x8 sub-windows of their own face, labels one-hot for label smoothing
    (windows, onehot), = inputs.make_dataset(x, np.array([0, 2]), 2, crop=8, random_crop=True, one_hot=3)
    windows = np.rint(np.asarray(windows)[..., 0] * 255).astype(np.uint8)
    for face, window in zip(x, windows):
        assert any(np.array_equal(face[t:t + 8, c:c + 8], window) for t in range(5) for c in range(5))
    np.testing.assert_array_equal(np.asarray(onehot), [[1, 0, 0], [0, 0, 1]])
    (centre, _), = inputs.make_dataset(x, np.array([0, 2]), 2, crop=8)
    np.testing.assert_array_equal(np.rint(np.asarray(centre)[..., 0] * 255), x[:, 2:10, 2:10])
    assert inputs.input_size(0, 12) == 12 and inputs.input_size(8, 12) == 8
    with pytest.raises(PipelineError, match="cnn.crop: 20 is larger than the 12x12 faces"):
        inputs.input_size(20, 12)
