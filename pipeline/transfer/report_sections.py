"""Sections of reports/tables/transfer.md after Table 3: scores, ablation, diagnosis (markdown lines)."""

SCORE_ROWS = {
    "proposed": "Proposed",
    "pix2pix": "pix2pix",
    "oracle_landmarks": "Ω fed the TRUE landmarks",
    "warp_fused_points": "Target warped to Φ's points",
    "warp_true_points": "Target warped to the TRUE points",
    "copy_target": "No transfer (target face)",
    "truth_real": "Real truth photo (reference)",
}
SPEC_COLUMNS = ("landmark_encoding", "fusion_coord_weight", "displacement", "warp_input",
                "feature_matching_weight", "omega_landmarks")


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def scores_markdown(metrics: dict, judge: dict) -> list[str]:
    lines = [
        "## Expression and identity (beyond the paper)", "",
        "Expression: a CNN trained on the real faces of the transfer-training subjects only labels each "
        "face; score = share labelled with the source expression (what the truth shows), beside the share "
        "labelled with the target's own expression. "
        f"The judge reads {_pct(judge['test_accuracy'])} of the held-out subjects' real faces right "
        f"({judge['test_rows']} faces, {judge['test_subjects']} subjects). "
        "Identity: dlib's face-recognition ResNet (128-d descriptors, same person below 0.6) between each "
        "face and the target subject's real photos outside the target input's sequence; kept = share "
        "below 0.6; rank-1 = the target subject is the nearest held-out subject; → source = nearer the "
        "source subject than the target.", "",
        "| Model | expression = source | expression = target | identity distance | kept (< 0.6) | rank-1 "
        "| → source | distance to others |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, label in SCORE_ROWS.items():
        r = metrics["results"].get(key)
        if r is None:
            continue
        i = r["identity"]
        lines.append(f"| {label} | {_pct(r['expression'])} | {_pct(r['target_expression'])} | "
                     f"{i['distance_target']:.3f} | {_pct(i['kept'])} | {_pct(i['rank1'])} | "
                     f"{_pct(i['closer_to_source'])} | {i['distance_others']:.3f} |")
    s, f = metrics["sensitivity"], metrics["fusion"]
    lines += [
        "",
        "Does the conditioning reach the output? Mean |output change| (grey levels in [0, 1]) when each "
        f"test triple's condition is replaced by another triple's, same target face: proposed "
        f"{s['proposed']:.4f}, pix2pix {s.get('pix2pix', float('nan')):.4f}. "
        f"Φ on the test triples: mean |J_gen - L_t| = {f['fused_minus_target']:.4f} (0 = identity map); "
        f"L1 to the truth's landmark image {f['l1_fused_truth']:.4f} vs {f['l1_target_truth']:.4f} for L_t "
        "itself"
        + (f"; fused points {f['points_error_px']:.2f} px from the truth's (L_t's points: "
           f"{f['target_points_error_px']:.2f} px), moved {f['points_moved_px']:.2f} px on average."
           if "points_error_px" in f else "."),
    ]
    return lines


def ablation_markdown(ablation: dict) -> list[str]:
    s = ablation["schedule"]
    lines = [
        "## Ablation (short schedule, same held-out triples)", "",
        f"Each variant trained {s['fusion_epochs']} fusion / {s['epochs']} transfer epochs over "
        f"{s['train_pairs']} training triples (stage ablate_transfer, `transfer.ablation`). Columns: "
        "landmark encoding; Φ's coordinate-loss weight (> 0: Φ predicts the 68 points and Ω's landmarks are "
        "drawn from them); displacement field input; target warped to the points as input; "
        "feature-matching weight; what Ω trains on (Φ's output or the truth's real points). Sensitivity: "
        "mean |output change| when the condition is another triple's. Point error: Φ's points vs the "
        "truth's, px.", "",
        "| Variant | encoding | coord | disp | warp | FM | Ω on | SSIM | PSNR | oracle SSIM | oracle PSNR "
        "| expression | identity kept | sensitivity | point err px | train s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in ablation["variants"].items():
        sp, p, o = r["spec"], r["proposed"], r["oracle_landmarks"]
        err = r["fusion"].get("points_error_px")
        lines.append(
            f"| {name} | {sp['landmark_encoding']} | {sp['fusion_coord_weight']:g} | "
            f"{'yes' if sp['displacement'] else 'no'} | {'yes' if sp['warp_input'] else 'no'} | "
            f"{sp['feature_matching_weight']:g} | {sp['omega_landmarks']} | {p['ssim']:.3f} | "
            f"{p['psnr']:.2f} | "
            f"{o['ssim']:.3f} | {o['psnr']:.2f} | {_pct(p.get('expression'))} | "
            f"{_pct(p['identity']['kept']) if 'identity' in p else '–'} | {r['sensitivity']:.4f} | "
            f"{'–' if err is None else f'{err:.2f}'} | {r['train_seconds']:.0f} |")
    if ablation.get("pix2pix"):
        r = ablation["pix2pix"]
        p = r["pix2pix"]
        lines.append(f"| pix2pix (same schedule) | – | – | – | – | – | – | {p['ssim']:.3f} | {p['psnr']:.2f} "
                     f"| – | – | {_pct(p.get('expression'))} | {_pct(p['identity']['kept'])} "
                     f"| {r['sensitivity']:.4f} | – | {r['train_seconds']:.0f} |")
    return lines


def diagnosis_markdown(diagnosis: dict, training: dict) -> list[str]:
    inf, mv, al, po, pa = (diagnosis[k] for k in ("informative", "moved", "aligned", "posed", "pairing"))
    enc_rows = [f"| {name} | {v['channels']} | {_pct(v['foreground_fraction'])} | "
                f"{v['l1_target_truth']:.4f} | {v['l1_background_truth']:.4f} | {v['iou_target_truth']:.3f} |"
                for name, v in inf.items()]
    pose_rows = [f"| {k.replace('_', ' ')} | {v['ssim']:.3f} | {v['psnr']:.2f} |" for k, v in po.items()]
    lines = [
        "## Diagnosis (data only, stage diagnose_transfer)", "",
        f"Landmark images at {diagnosis['size']} px (L1 between the target's and the truth's image: what "
        "Φ must change; against an all-background guess):", "",
        "| encoding | channels | landmark pixels | L1 target-truth | L1 background-truth "
        "| IoU target-truth |",
        "|---|---|---|---|---|---|", *enc_rows, "",
        f"Points move {mv['mean_px']:.2f} px on average from target to truth (lips "
        f"{mv['per_group_px']['outer_lips']:.2f}, brows {mv['per_group_px']['brows']:.2f}, eyes "
        f"{mv['per_group_px']['eyes']:.2f}, rigid nose/eye corners {mv['rigid_px']:.2f}); the polyline is "
        f"{mv['polyline_thickness_px']} px thick. Alignment: the polyline is drawn "
        f"{al['polyline_offset_mean_px']:.2f} px (max {al['polyline_offset_max_px']:.2f}) off the faces' "
        "pixel centres; dlib's points of the mirrored crop, mirrored back, lie "
        f"{al['dlib_mirror_error_px']:.2f} "
        "px from the originals. Pairing: "
        f"{pa['subjects']} subjects, {pa['sequences_per_subject_mean']:.1f} sequences each, "
        f"{pa['frames_per_sequence_mean']:.0f} (peak) frames per sequence, {pa['neutral_rows']} neutral "
        "frames.", "",
        "What the pairing allows (SSIM / PSNR against the truth, no trained model):", "",
        "| reference | SSIM | PSNR dB |", "|---|---|---|", *pose_rows,
    ]
    losses = (training.get("final_losses") or {}).get("proposed")
    if losses and "l1" in losses and "g_gan" in losses:
        w_gan, w_l1 = training["params"]["transfer_weights"]
        lines += ["", f"Loss balance of Ω's last epoch: {w_l1:g} x L1 = {w_l1 * losses['l1']:.2f} against "
                  f"{w_gan:g} x cGAN = {w_gan * losses['g_gan']:.2f} "
                  f"(D loss {losses.get('d_loss', float('nan')):.2f})."]
    return lines
