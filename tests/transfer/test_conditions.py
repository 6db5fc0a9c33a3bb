"""What Ω is fed: the condition channels per conditioning, the truth's landmarks, the card."""

import numpy as np
import pytest

from pipeline.transfer.conditions import Conditioning
from pipeline.transfer.pairs import TransferData

from .conftest import fake_landmarks


@pytest.fixture
def data(tmp_path, demo_dataset):
    demo_dataset.save("data/cropped/demo.npz")
    fake_landmarks(demo_dataset, tmp_path / "data/landmarks")
    return TransferData("data/cropped", "data/landmarks", "auto", 16, 0.2, 0)


def test_condition_channels_follow_the_conditioning(data, tmp_path):
    tgt, truth = np.array([0, 1, 2]), np.array([3, 4, 5])
    paper = Conditioning("polyline", 1.5, points=False, displacement=False, warp_input=False)
    assert paper.omega_channels == 1 and paper.dx_channel is None
    np.testing.assert_array_equal(paper.truth_condition(data, tgt, truth), data.marks[truth])
    full = Conditioning("masks", 1.5, points=True, displacement=True, warp_input=True)
    assert full.omega_channels == 6 + 2 + 1 and full.dx_channel == 6
    c = full.truth_condition(data, tgt, truth)
    assert c.shape == (3, 16, 16, 9)
    np.testing.assert_allclose(c[..., :6], data.encoded("masks")[truth], atol=1e-6)
    same = full.omega_condition(data, tgt, points=data.points[tgt])  # no move: zero field, unwarped face
    assert np.abs(same[..., 6:8]).max() == 0
    np.testing.assert_allclose(same[..., 8:], data.faces[tgt], atol=1e-5)
    full.save(tmp_path)
    assert Conditioning.load(tmp_path) == full
