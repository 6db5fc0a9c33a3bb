"""Stage `diagnose_transfer`: the data-only diagnosis (encodings, point moves, alignment, pairing
ceilings)."""

import json

from .conftest import fake_landmarks, write_params


def test_diagnosis_of_the_demo_data(tmp_path, demo_dataset):
    from pipeline.transfer import diagnose_transfer

    write_params(tmp_path / "params.yaml")
    demo_dataset.save("data/cropped/demo.npz")
    fake_landmarks(demo_dataset, tmp_path / "data/landmarks")
    diagnose_transfer.main(["--input", "data/cropped", "--landmarks", "data/landmarks",
                            "--diagnosis", "reports/transfer/diagnosis.json"])
    d = json.loads((tmp_path / "reports/transfer/diagnosis.json").read_text())
    assert set(d["informative"]) == {"polyline", "heatmap", "masks"}
    for enc in d["informative"].values():
        assert 0 < enc["foreground_fraction"] < 1 and enc["l1_target_truth"] >= 0
    assert d["moved"]["mean_px"] > 0 and set(d["moved"]["per_group_px"]) >= {"outer_lips", "brows", "eyes"}
    assert d["aligned"]["polyline_offset_max_px"] > 0 and d["aligned"]["mirror_checked"] > 0
    assert set(d["posed"]) == {"copy_target", "target_aligned_rigid", "warp_true_points",
                               "other_frame_of_truth_sequence", "mean_training_face", "copy_source"}
    assert all(-1 <= v["ssim"] <= 1 for v in d["posed"].values())
    assert d["pairing"]["subjects"] == 12 and d["test_triples"] == 8
