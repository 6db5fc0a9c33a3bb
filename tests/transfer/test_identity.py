"""Identity score: dlib descriptors of small grey faces, and the scores from descriptor distances."""

import numpy as np

from pipeline.core.dataset import FaceDataset
from pipeline.transfer.identity import FaceEmbedder, identity_scores
from pipeline.transfer.pairs import to_unit


def test_embedder_gives_one_descriptor_per_face(demo_dataset):
    faces = to_unit(demo_dataset.images[:3], 32)
    emb = FaceEmbedder()(faces)
    assert emb.shape == (3, 128) and np.all(np.isfinite(emb)) and np.all(np.linalg.norm(emb, axis=1) > 0)


def test_scores_from_distances():
    # gallery: subjects a, b with two sequences each (the second with two frames); descriptors cluster
    # per subject
    subject = np.array(["a", "a", "a", "b", "b", "b"])
    data = FaceDataset(images=np.zeros((6, 8, 8), np.uint8), labels=np.zeros(6, int), classes=("x",),
                       split=np.full(6, "train"), ids=[str(i) for i in range(6)], subject=subject,
                       sequence=np.array(["a1", "a2", "a2", "b1", "b2", "b2"]))
    gallery = np.zeros((6, 128), np.float32)
    gallery[3:, 0] = 1.0
    rows = np.arange(6)
    triples = np.array([[3, 0, 1], [0, 3, 4]])  # (source, target, truth): targets a then b
    right = identity_scores(gallery[[0, 3]] + 0.02, gallery, rows, data, triples)
    assert right["kept"] == 1 and right["rank1"] == 1 and right["closer_to_source"] == 0
    assert abs(right["distance_target"] - np.sqrt(128 * 0.02 ** 2)) < 1e-4  # only frames 2 and 5 count
    copied_source = identity_scores(gallery[[3, 0]], gallery, rows, data, triples)
    assert copied_source["rank1"] == 0 and copied_source["closer_to_source"] == 1
    assert copied_source["distance_target"] > right["distance_target"]
