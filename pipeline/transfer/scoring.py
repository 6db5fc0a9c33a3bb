"""Scores of transferred faces on the held-out triples: SSIM / PSNR (Table 3), expression, identity, and
how much Ω listens to its landmarks. Shared by evaluate_transfer and ablate_transfer.
"""

import numpy as np

from .identity import FaceEmbedder, identity_scores
from .judge import predict_labels
from .pairs import TransferData
from .quality import ssim_psnr
from .warp import warp_faces


class Scorer:
    """Everything about the test triples that does not depend on the model scored."""

    def __init__(self, data: TransferData, triples: np.ndarray, judge=None, identity: bool = True):
        self.data, self.triples, self.judge = data, np.asarray(triples), judge
        self.src, self.tgt, self.truth = self.triples.T
        self.embedder = FaceEmbedder() if identity else None
        if identity:
            self.gallery_rows = data.rows["test"]
            self.gallery = self.embedder(data.faces[self.gallery_rows])

    def references(self) -> dict:
        """Rows that need no trained model: the target itself, and the target warped to the truth's points."""
        d = self.data
        return {"copy_target": d.faces[self.tgt],
                "warp_true_points": warp_faces(d.faces[self.tgt], d.points[self.tgt], d.points[self.truth])}

    def score(self, images: np.ndarray, pixels: bool = True, identity: bool = True) -> dict:
        """One row: SSIM / PSNR against the truth faces (`pixels`), expression and identity scores."""
        d, out = self.data.data, {}
        if pixels:
            ssim, psnr = ssim_psnr(images, self.data.faces[self.truth])
            out.update({"ssim": round(float(ssim.mean()), 4), "ssim_std": round(float(ssim.std()), 4),
                        "psnr": round(float(psnr.mean()), 3), "psnr_std": round(float(psnr.std()), 3)})
        if self.judge is not None:
            pred = predict_labels(self.judge, images)
            out["expression"] = round(float((pred == d.labels[self.truth]).mean()), 4)
            out["target_expression"] = round(float((pred == d.labels[self.tgt]).mean()), 4)
        if identity and self.embedder is not None:
            out["identity"] = identity_scores(self.embedder(images), self.gallery, self.gallery_rows, d,
                                              self.triples)
        return out

    def score_all(self, outputs: dict) -> dict:
        return {name: self.score(images) for name, images in outputs.items()}


def sensitivity(model, data: TransferData, triples: np.ndarray, seed: int) -> dict:
    """How much Ω's output moves when its condition belongs to another triple (same target face):
    mean |Ω(P_t, c_i) - Ω(P_t, c_perm(i))| in [0, 1] grey levels, for the proposed model's landmarks and
    for pix2pix's source face. Near 0: the network ignores its condition."""
    from .inference import omega

    src, tgt, _ = np.asarray(triples).T
    perm = np.random.default_rng(seed).permutation(len(src))
    cond = model.cond.proposed_condition(model.fusion, data, src, tgt)
    shuffled = model.cond.proposed_condition(model.fusion, data, src[perm], tgt)
    p_t = data.faces[tgt]
    out = {"proposed": float(np.abs(omega(model.generator, p_t, cond) - omega(model.generator, p_t, shuffled))
                             .mean() / 2)}
    if model.pix2pix is not None:
        a, b = model.baseline(data, src, tgt), model.baseline(data, src[perm], tgt)
        out["pix2pix"] = float(np.abs(a - b).mean() / 2)
    return {k: round(v, 4) for k, v in out.items()}


def fusion_stats(model, data: TransferData, triples: np.ndarray) -> dict:
    """What Φ does on the test triples: mean |J_gen - L_t| (0: identity map), L1 to the truth's landmark
    image against the identity map's, and with a points head the point error (px) against P_t's."""
    src, tgt, truth = np.asarray(triples).T
    image, points = model.cond.fuse(model.fusion, data, src, tgt)
    marks = model.cond.marks(data)
    out = {"fused_minus_target": float(np.abs(image - marks[tgt]).mean()),
           "l1_fused_truth": float(np.abs(image - marks[truth]).mean()),
           "l1_target_truth": float(np.abs(marks[tgt] - marks[truth]).mean())}
    if points is not None:
        size = data.faces.shape[1]
        err = np.linalg.norm((points - data.points[truth]) * size, axis=-1).mean()
        base = np.linalg.norm((data.points[tgt] - data.points[truth]) * size, axis=-1).mean()
        moved = np.linalg.norm((points - data.points[tgt]) * size, axis=-1).mean()
        out.update({"points_error_px": float(err), "target_points_error_px": float(base),
                    "points_moved_px": float(moved)})
    return {k: round(v, 4) for k, v in out.items()}
