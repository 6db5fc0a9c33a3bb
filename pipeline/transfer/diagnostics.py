"""Why the landmark conditioning carries no signal: measurements on the data alone (no trained model).

- informative: per encoding, how much of the image is landmark, and how much the target's landmark image
  differs from the truth's (what Φ must change), against an all-background guess;
- moved: how far the points move from target to truth, per face part, against the polyline thickness;
- aligned: the polyline drawing's pixel convention against the faces' (cv2.resize: pixel centres), and
  dlib's own consistency (points of the mirrored crop, mirrored back);
- posed: what the pairing allows: the target itself, the target aligned to the truth on rigid points,
  the target warped to the truth's points (the landmarks' own worth, no learning), another frame of the
  truth's sequence (near the ceiling), the mean training face, the source face.
"""

import cv2
import numpy as np

from .encodings import ENCODINGS, GROUPS, mirror_points, to_pixels
from .pairs import TransferData
from .quality import ssim_psnr
from .warp import warp_faces

RIGID = [27, 28, 29, 30, 36, 39, 42, 45]  # nose bridge and eye corners


def informative(data: TransferData, triples, sigma: float) -> dict:
    _, tgt, truth = np.asarray(triples).T
    out = {}
    for enc in ENCODINGS:
        m = data.encoded(enc, sigma)
        l_t, j_o = m[tgt], m[truth]
        fg_t, fg_o = l_t > 0, j_o > 0
        out[enc] = {"channels": int(m.shape[-1]), "foreground_fraction": round(float((m > 0).mean()), 4),
                    "l1_target_truth": round(float(np.abs(l_t - j_o).mean()), 4),
                    "l1_background_truth": round(float(np.abs(-1 - j_o).mean()), 4),
                    "iou_target_truth": round(float(((fg_t & fg_o).sum() / max(1, (fg_t | fg_o).sum()))), 4)}
    return out


def moved(data: TransferData, triples) -> dict:
    _, tgt, truth = np.asarray(triples).T
    size = data.faces.shape[1]
    d = np.linalg.norm((data.points[truth] - data.points[tgt]) * size, axis=-1)  # (N, 68) px
    parts = {name: round(float(np.mean([d[:, a:b].mean() for a, b, _ in parts])), 3)
             for name, parts in GROUPS.items()}
    return {"mean_px": round(float(d.mean()), 3), "rigid_px": round(float(d[:, RIGID].mean()), 3),
            "rigid_over_2px_fraction": round(float((d[:, RIGID].mean(1) > 2).mean()), 4),
            "per_group_px": parts, "polyline_thickness_px": max(1, size // 32)}


def aligned(data: TransferData, n: int = 64, seed: int = 0) -> dict:
    """Drawing offsets (px at the working size) and dlib's mirror consistency on `n` crops."""
    from .face_landmarks import LandmarkDetector

    size = data.faces.shape[1]
    offset = data.points * (size - 1) - to_pixels(data.points, size)  # polyline convention - pixel centres
    rows = np.random.default_rng(seed).permutation(len(data.data))[:n]
    detector = LandmarkDetector()
    err = []
    for r in rows:
        pts, _ = detector(np.ascontiguousarray(data.data.images[r][:, ::-1]))
        err.append(np.linalg.norm((mirror_points(pts) - data.points[r]) * size, axis=-1).mean())
    return {"polyline_offset_mean_px": round(float(np.abs(offset).mean()), 3),
            "polyline_offset_max_px": round(float(np.abs(offset).max()), 3),
            "dlib_mirror_error_px": round(float(np.mean(err)), 3), "mirror_checked": int(len(rows))}


def _similarity_aligned(faces, p_from, p_to) -> np.ndarray:
    size = faces.shape[1]
    out = []
    for f, a, b in zip(faces, p_from, p_to):
        m, _ = cv2.estimateAffinePartial2D(to_pixels(a[RIGID], size), to_pixels(b[RIGID], size))
        out.append(cv2.warpAffine(f[..., 0], m, (size, size), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REPLICATE))
    return np.stack(out)[..., None]


def posed(data: TransferData, triples) -> dict:
    src, tgt, truth = np.asarray(triples).T
    d, faces, pts = data.data, data.faces, data.points
    other_frame = []
    for o in truth:
        same = np.flatnonzero((d.sequence == d.sequence[o]) & (np.arange(len(d)) != o))
        other_frame.append(same[0] if len(same) else o)
    rows = {
        "copy_target": faces[tgt],
        "target_aligned_rigid": _similarity_aligned(faces[tgt], pts[tgt], pts[truth]),
        "warp_true_points": warp_faces(faces[tgt], pts[tgt], pts[truth]),
        "other_frame_of_truth_sequence": faces[np.array(other_frame)],
        "mean_training_face": np.repeat(faces[data.rows["train"]].mean(0, keepdims=True), len(truth), 0),
        "copy_source": faces[src],
    }
    out = {}
    for name, images in rows.items():
        ssim, psnr = ssim_psnr(images, faces[truth])
        out[name] = {"ssim": round(float(ssim.mean()), 4), "psnr": round(float(psnr.mean()), 3)}
    return out


def pairing(data: TransferData) -> dict:
    d = data.data
    seqs = {}
    for s, q, y in zip(d.subject, d.sequence, d.labels):
        seqs.setdefault(s, {})[q] = y
    n_seq = np.array([len(v) for v in seqs.values()])
    frames = np.array([np.sum(d.sequence == q) for q in sorted(set(d.sequence.tolist()))])
    return {"subjects": len(seqs), "sequences_per_subject_mean": round(float(n_seq.mean()), 3),
            "subjects_with_2plus_expressions": int(sum(len(set(v.values())) > 1 for v in seqs.values())),
            "frames_per_sequence_mean": round(float(frames.mean()), 3),
            "neutral_rows": int(np.sum(np.asarray(d.classes)[d.labels] == "neutral"))}


def diagnose(data: TransferData, triples, sigma: float) -> dict:
    return {"informative": informative(data, triples, sigma), "moved": moved(data, triples),
            "aligned": aligned(data), "posed": posed(data, triples), "pairing": pairing(data),
            "test_triples": int(len(triples)), "size": int(data.faces.shape[1]), "heatmap_sigma": sigma}
