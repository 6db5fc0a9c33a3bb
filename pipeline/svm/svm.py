"""Stage `svm`: the SVM paper's emotion and Action-Unit experiments on the svm_features matrices.

Each `svm.experiments` entry (task, D = a train_feature_gan run, SVM trained on Y, tested on Z, its
protocol) runs on every layer of svm.features.layers of D and on every control (the untrained D,
pixels, HOG, the FER CNN); entries whose data are absent are listed as skipped. Emotion:
StandardScaler + RBF SVC, randomized C/gamma search (svm.large for big training sets: FER-2013's
official split by a linear SGD SVM, C on PublicTest). AU: StandardScaler + linear SVM per AU, real
FACS codes or the Table VI rules; ROC AUC, F1 and skew-normalised F1.
Finished runs are kept under --checkpoints until the whole matrix is done (a killed run resumes).
"""

import argparse
from pathlib import Path

from ..core.cli import run_stage
from ..core.outputs import write_json, write_text
from ..core.params import load
from .config import BaselineKeys, SvmKeys
from .experiments import facs_agreement, headline, run_matrix
from .features import FeatureStore, load_index
from .plots import write_plots
from .result_cache import ResultCache
from .tables import markdown_report

PARAMS = {"svm": SvmKeys, "svm.features": BaselineKeys}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=Path, required=True, help="folder written by stage svm_features")
    parser.add_argument("--cropped", type=Path, required=True, help="folder of cropped datasets <source>.npz")
    parser.add_argument("--results", type=Path, required=True,
                        help="results.json (every run, skipped entries)")
    parser.add_argument("--metrics", type=Path, required=True, help="metrics.json (headline per experiment)")
    parser.add_argument("--plots", type=Path, required=True,
                        help="folder for roc_<id>.png, confusion_<id>.png")
    parser.add_argument("--table", type=Path, required=True, help="markdown tables beside the paper's")
    parser.add_argument("--checkpoints", type=Path, help="finished runs, kept until the matrix is done")
    parser.add_argument("--only", nargs="*",
                        help="run only these experiment ids (hand runs; reports hold only them)")
    parser.add_argument("--cached-only", action="store_true",
                        help="with --checkpoints: report the finished runs of a stopped run, skip the rest")
    args = parser.parse_args(argv)
    cfg = load(SvmKeys, "svm")
    view = load(BaselineKeys, "svm.features")
    baselines, layers = list(view.baselines), list(view.layers)
    index = load_index(args.features)
    from threadpoolctl import threadpool_limits

    # One BLAS thread by default: on a shared 2-core machine, oversubscribed OpenBLAS threads
    # spin and make each Gram matrix several times slower.
    threadpool_limits(cfg.blas_threads)
    store = FeatureStore(args.features, args.cropped)
    cache = ResultCache(args.checkpoints) if args.checkpoints else None
    results, skipped = run_matrix(cfg, baselines, layers, index, store, cache, args.only,
                                   args.cached_only)
    agreement = facs_agreement(results, store)

    write_plots(results, args.plots)
    public = [{k: v for k, v in r.items() if not k.startswith("_")} for r in results]
    write_json(args.results, {"experiments": public, "skipped": skipped, "facs_rule_agreement": agreement,
                              "features": index})
    write_json(args.metrics, {"headline": headline(public),
                              "protocol": f"see {args.table} (Protocols)"})
    write_text(args.table, markdown_report(public, skipped, agreement, index, cfg))
    if cache is not None and not args.only and not args.cached_only:
        cache.clear()
    print(f"wrote {args.results.parent}/ and {args.table}: {len(public)} run(s), {len(skipped)} skipped")


if __name__ == "__main__":
    run_stage(main)
