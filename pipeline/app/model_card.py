"""MODEL_CARD.md of the bundled model: data, protocol, test accuracy with its interval, per-class F1,
cross-dataset accuracy, known limits and the data's licence, from the figures export_model measured."""


def pct(v: float) -> str:
    return f"{100 * v:.2f}%"


def interval(iv, confidence: float) -> str:
    return f"{pct(iv[0])} - {pct(iv[1])} ({round(100 * confidence)}% Wilson interval)"


def card(info: dict) -> str:
    """The card's markdown; `info` is the bundle's model.json."""
    t, conf = info["privatetest"], info["confidence"]
    train = info.get("training", {})
    lines = [
        "# Bundled emotion model", "",
        f"`pipeline/app/bundled/model.keras`: the {info['mode']} CNN of profile `{info['profile']}`, "
        f"trained on {info['dataset']} by this repository's pipeline (`dvc repro export_model` rebuilds "
        f"this folder from `models/cnn/{info['dataset']}/{info['mode']}/`). It is what `fer-predict`, "
        "`fer-web` and `EmotionRecognizer()` use when given no model.", "",
        *([f"**Not a FER-2013 model** (trained on {info['dataset']}, bundle.dataset any): the FER-2013 "
           "split names below stand for that dataset's train / val / test splits.", ""]
          if info["dataset"] != "fer2013" else []),
        "## Model", "",
        f"- Input: grey {info['image_size']}x{info['image_size']} face crops cut by the crop stage's face "
        f"path (detectors {', '.join(info['crop']['detectors'])}, margin {info['crop']['margin']}, the crop "
        "section below travels in model.json); the network sees "
        f"{info['input_size']}x{info['input_size']} windows.",
        f"- Test-time views: {info['views']} (centre window{', four corners' if info['tta_crops'] else ''}"
        f"{', and each mirrored' if info['tta_flip'] else ''}), averaged.",
        f"- Classes: {', '.join(info['classes'])}.",
        f"- {info['parameters']:,} parameters; weights stored as {info['weights']} (compute in float32), "
        f"no optimizer state: {info['size_bytes'] / 1e6:.1f} MB.",
        f"- Float check: on the first {info['check']['n']} test faces the exported file and the trained "
        f"model agree on {pct(info['check']['argmax_agreement'])} of the top classes (largest probability "
        f"difference {info['check']['max_abs_diff']:.4f}).", "",
        "## Data and protocol", "",
        f"- Training data: {info['dataset']} `Training` ({train.get('n_train', '?')} faces after the "
        "ingest audit dropped exact copies of test images and blanks).",
        f"- Model selection on `PublicTest` (validation, {train.get('n_val', '?')} faces): the profile "
        "was chosen among the CPU profiles by PublicTest accuracy and the epoch kept is the best on "
        f"PublicTest (epoch {train.get('best_epoch', '?')} of {train.get('epochs_run', '?')}, "
        + (f"{pct(train['best_val_accuracy'])} centre-window accuracy)." if train.get("best_val_accuracy")
           is not None else "accuracy not recorded)."),
        f"- Test: `PrivateTest` ({t['n']} faces), never seen in training or selection.", "",
        "## PrivateTest accuracy (the file in this folder)", "",
        f"**{pct(t['accuracy'])}**, {interval(t['interval'], conf)}; macro-F1 {t['macro_f1']:.3f}."
        + (f" The evaluation stage reported {pct(info['evaluation_accuracy'])} for the trained model (its "
           "own compute precision); a difference comes from the float16 storage and float32 compute."
           if info.get("evaluation_accuracy") is not None else ""), "",
        "| class | precision | recall | F1 | test faces |", "|---|---|---|---|---|",
        *[f"| {c} | {t['precision'][c]:.3f} | {t['recall'][c]:.3f} | {t['f1'][c]:.3f} | {t['support'][c]} |"
          for c in info["classes"]], "",
        "## Cross-dataset: CK+48", "",
        *cross_lines(info.get("cross_dataset"), conf), "",
        "## Known limits", "",
        "- FER-2013 faces are low-resolution web images, mostly frontal; labels are noisy (human accuracy on "
        "FER-2013 is about 65%). Profile views, strong occlusion, very small faces (under ~20 px) and "
        "children are poorly covered.",
        f"- The weakest classes on PrivateTest: {weakest(t)}. FER-2013 has few `disgust` faces (about "
        "1.5% of its training set).",
        "- Posed expressions (CK+) and spontaneous ones differ: the cross-dataset figure is on posed, "
        "peak-intensity lab faces; expect lower accuracy on everyday video.",
        "- A facial expression is not a felt emotion. Do not use this model to make decisions about people "
        "(hiring, policing, health, education): it is a research artefact.",
        "- A face the detectors miss gets no row; a tight face crop (<= 64 px) with no detection is scored "
        "whole (detector score 0).", "",
        "## Licence of the data", "",
        "FER-2013 (Goodfellow et al., ICML 2013 representation-learning challenge, distributed through "
        "Kaggle) is for research use only; these weights are derived from it, so use them for research "
        "and not commercially. CK+ (Lucey et al., 2010) is research-only too; it is only used to measure, "
        "never to train, and no CK+ image is part of this repository.", "",
        "## Crop parameters carried in model.json", "",
        "```json", *json_lines(info["crop"]), "```", "",
    ]
    return "\n".join(lines)


def weakest(t: dict, k: int = 3) -> str:
    worst = sorted(t["f1"], key=t["f1"].get)[:k]
    return ", ".join(f"{c} (F1 {t['f1'][c]:.2f})" for c in worst)


def cross_lines(cross: dict | None, conf: float) -> list[str]:
    if not cross or "skipped" in cross:
        why = cross["skipped"] if cross else "not measured"
        return [f"Not measured in this export ({why}); see `benchmarks/README.md` for the hand-run figure."]
    recall = ", ".join(f"{c} {pct(v)}" for c, v in cross["recall"].items())
    return [
        f"All of {cross['source']} ({cross['n']} faces of the {len(cross['classes'])} classes it shares with "
        f"FER-2013: {', '.join(cross['classes'])}; {cross['dropped']} contempt faces left out), through the "
        "crop path, no CK+ training:", "",
        f"- **{pct(cross['accuracy'])}**, {interval(cross['interval'], conf)}: the top class over all "
        f"{len(cross['predicted'])} model classes (a face called neutral counts as an error);",
        f"- {pct(cross['accuracy_shared_argmax'])}, {interval(cross['interval_shared_argmax'], conf)}: "
        "the top class among the shared ones.",
        f"- Recall per class (all-class top): {recall}.",
    ]


def json_lines(d: dict) -> list[str]:
    import json

    return json.dumps(d, indent=2).splitlines()
