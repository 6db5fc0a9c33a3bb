"""Stage `question_table@<dataset>`: the thesis question's table, from train_question's arms.

Usage: python -m pipeline.classifier.question_table --models models/question/<dataset>
           --metrics reports/question/<dataset>/metrics.json --table reports/tables/question_<dataset>.md
           [--params FILE]
Scores every run of every arm of question.arms (<models>/<arm>/) on its test faces with the cnn
test-time augmentation, then compares the arms with question.baseline, paired by seed, with a paired
bootstrap over the test faces (pipeline/classifier/question.py). Arms whose stage skipped (no
generated images) are listed with the reason.
"""

import argparse
from pathlib import Path

import numpy as np

from ..core.cli import run_stage
from ..core.errors import PipelineError
from ..core.outputs import write_json, write_text
from ..core.params import load
from .config import EvalKeys, QuestionKeys
from .question import compare, table
from .scoring import read_manifest, score_run

PARAMS = {"cnn": EvalKeys, "question": QuestionKeys}


def arm_predictions(folder: Path, keys: EvalKeys) -> tuple[dict, tuple | None, list[np.ndarray], dict]:
    """(manifest, (test labels, test ids), one prediction vector per seed, the runs' training summary).
    Each run is scored as evaluate_classifier scores it (scoring.score_run: TTA, leak check)."""
    manifest = read_manifest(folder)
    if "skipped" in manifest:
        return manifest, None, [], {}
    proto = manifest["protocols"]["official"]
    labels, preds, ids, epochs = None, [], None, []
    for sub in proto["runs"]:
        with np.load(folder / sub / "rows.npz", allow_pickle=False) as z:
            run_ids = z["test_ids"]
        if ids is not None and not np.array_equal(ids, run_ids):
            raise PipelineError(
                f"{folder / sub}: its test rows differ from the other seeds' (one split per arm)"
            )
        m, labels, pred = score_run(folder / sub, "official", manifest["train_params"]["batch"], keys,
                                    manifest["classes"])
        ids = run_ids
        preds.append(pred)
        epochs.append(m["best_epoch"])
    return manifest, (labels, ids), preds, {"evaluation": proto["evaluation"], "best_epochs": epochs}


def reference_gap(path: Path, dataset: str, baseline: dict) -> dict | None:
    """The baseline arm's accuracy against the best single model's on the same test faces (the issue asks
    the question of a network within 3 points of it); None when that model is of another dataset."""
    import json

    try:
        ref = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise PipelineError(f"{path}: unreadable reference model card ({exc})") from None
    if ref.get("dataset") != dataset or "privatetest" not in ref:
        return None
    accuracy = ref["privatetest"]["accuracy"]
    return {"source": str(path), "profile": ref.get("profile"), "accuracy": accuracy,
            "epochs": ref.get("training", {}).get("epochs_run"),
            "baseline_accuracy": baseline["accuracy"]["mean"],
            "gap_points": 100 * (accuracy - baseline["accuracy"]["mean"])}


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.classifier.question_table", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--models", type=Path, required=True, help="models/question/<dataset> (one folder per arm)"
    )
    parser.add_argument("--metrics", type=Path, required=True, help="metrics.json to write")
    parser.add_argument("--table", type=Path, required=True, help="markdown table to write")
    parser.add_argument(
        "--reference",
        type=Path,
        required=True,
        help="model.json of the best single model (the bundle): the baseline's gap to it is reported",
    )
    args = parser.parse_args(argv)
    q, keys = load(QuestionKeys, "question"), load(EvalKeys, "cnn")
    if q.baseline not in q.all_arms:
        raise PipelineError(f"question.baseline: {q.baseline!r} is not one of question.arms {q.all_arms}")
    preds, skipped, info, truth, dataset, classes = {}, {}, {}, None, None, None
    for arm in q.all_arms:
        manifest, test, arm_preds, summary = arm_predictions(args.models / arm, keys)
        dataset, classes = manifest["dataset"], manifest["classes"]
        if "skipped" in manifest:
            skipped[arm] = manifest["skipped"]
            continue
        if truth is not None and not np.array_equal(truth[1], test[1]):
            raise PipelineError(
                f"{args.models / arm}: tested on other faces than {q.all_arms[0]} (arms must share a split)"
            )
        truth, preds[arm], info[arm] = test, arm_preds, summary
        print(
            f"question_table {arm}: {len(arm_preds)} seeds, accuracy "
            + ", ".join(f"{np.mean(p == test[0]):.4f}" for p in arm_preds)
        )
    if q.baseline not in preds:
        raise PipelineError(
            f"{args.models / q.baseline}: the baseline arm has no runs ({skipped.get(q.baseline, 'missing')})"
        )
    results = compare(truth[0], preds, classes, q)
    results.update(
        {
            "dataset": dataset,
            "profile": keys.profile,
            "skipped": skipped,
            "evaluation": info[q.baseline]["evaluation"],
            "best_epochs": {a: i["best_epochs"] for a, i in info.items()},
        }
    )
    training = (
        f"profile {keys.profile}, test-time augmentation flip={keys.tta_flip} crops={keys.tta_crops}; "
        f"best epochs on validation: " + "; ".join(f"{a} {i['best_epochs']}" for a, i in info.items())
    )
    results["reference"] = reference_gap(args.reference, dataset, results["arms"][q.baseline])
    text = table(results, dataset, info[q.baseline]["evaluation"], training)
    if skipped:
        text += "\n" + "\n".join(f"- {a}: skipped: {why}" for a, why in skipped.items()) + "\n"
    write_json(args.metrics, results)
    write_text(args.table, text)
    return results


if __name__ == "__main__":
    run_stage(main)
