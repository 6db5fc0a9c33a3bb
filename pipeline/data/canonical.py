"""Raw folder -> one audited canonical dataset per source (the ingest stage's job, without the writing).

Every known layout under the raw folder is read (pipeline.data.layouts finds them,
pipeline.data.readers reads them). The embedded demo dataset stands in only when `data.demo.use`
asks for it: `always`, or `auto` with an empty raw folder (nothing but its README); a raw folder
with files but no known layout fails, listing what it holds and the layouts ingest knows. Sources
with no split of their own may have subjects held out, then each source is audited for leakage
and the rows the audit policy drops are removed.
"""

import time
from pathlib import Path

import numpy as np

from pipeline.core.dataset import FaceDataset
from pipeline.core.errors import PipelineError
from pipeline.data.audit import audit
from pipeline.data.config import IngestKeys
from pipeline.data.demo import make_demo_dataset
from pipeline.data.holdout import hold_out_subjects
from pipeline.data.layouts import data_entries, detect_layouts, files_not_read, no_layout_error
from pipeline.data.readers import DATASET_NAMES, load_source

DEMO_LAYOUT = "embedded demo dataset"


def ingest_sources(raw: Path, cfg: IngestKeys) -> tuple[dict, dict, dict]:
    """({source: kept dataset}, {source: audit report}, summary) for every source under `raw`."""
    layouts, ignored, unused = choose_layouts(raw, cfg.demo.use)
    datasets, audits = {}, {}
    summary = {"raw_dir": str(raw), "sources": {}, "ignored_layouts": ignored, "unused_entries": unused}
    if unused:
        print(f"ingest: not a known layout, not read: {', '.join(unused)}", flush=True)
    for source, layout in layouts.items():
        t0 = time.perf_counter()
        print(f"ingest: {source} <- {layout['layout']} ({layout['found']})", flush=True)
        skipped = files_not_read(source, layout)
        if skipped:
            print(f"ingest: {source}: {len(skipped)} file(s) not read (not images): "
                  f"{', '.join(skipped[:10])}{' ...' if len(skipped) > 10 else ''}", flush=True)
        if source == "demo":
            ds = make_demo_dataset(n_subjects=cfg.demo.subjects,
                                   sequences_per_subject=cfg.demo.sequences_per_subject, seed=cfg.demo.seed)
        else:
            ds = load_source(source, layout, raw, cfg.max_image_side)
            if not len(ds):
                raise PipelineError(f"{layout['paths'][0]}: no images")
            hold = cfg.subject_holdout
            ds = hold_out_subjects(ds, hold.val, hold.test, hold.seed)
        report, keep = audit(ds, cfg.audit)
        kept = ds.subset(keep)
        datasets[source] = kept
        audits[source] = report
        summary["sources"][source] = summarize(ds, kept, layout["layout"], time.perf_counter() - t0)
        summary["sources"][source].update(found=layout["found"], files_not_read=skipped)
        print(f"ingest: {source}: {len(ds)} rows read, {len(kept)} kept "
              f"({time.perf_counter() - t0:.1f}s)", flush=True)
    summary["datasets"] = list(datasets)
    return datasets, audits, summary


def choose_layouts(raw: Path, use: str) -> tuple[dict, list[str], list[str]]:
    """The layouts to read (data.demo.use: auto | always | never), the layouts ignored, unused entries."""
    if use == "always":
        return {"demo": {"layout": DEMO_LAYOUT, "paths": [], "found": "data.demo.use: always"}}, [], []
    if not raw.is_dir():
        raise PipelineError(f"{raw}: raw data directory (data.raw_dir) not found")
    layouts, ignored, unused = detect_layouts(raw)
    if layouts:
        return layouts, ignored, unused
    entries = data_entries(raw)
    if entries:
        raise no_layout_error(raw, entries)
    if use == "never":
        raise PipelineError(f"{raw}: raw data directory is empty and data.demo.use is never (put "
                            "FER-2013 / CK+48 there, see data/raw/README.md; the demo: "
                            "dvc exp run -S profile=demo)")
    return {"demo": {"layout": DEMO_LAYOUT, "paths": [], "found": f"{raw} is empty"}}, [], []


def summarize(ds: FaceDataset, kept: FaceDataset, layout: str, seconds: float) -> dict:
    splits = sorted(set(kept.split), key=("train", "val", "test").index)
    return {
        "dataset": ds.source, "name": DATASET_NAMES[ds.source], "layout": layout,
        "rows_read": len(ds), "rows": len(kept), "image_shape": list(kept.images.shape[1:]),
        "classes": list(kept.classes),
        "class_counts_read": ds.class_counts(), "usage_counts_read": value_counts(ds.usage),
        "class_counts": kept.class_counts(),
        "split_counts": {s: int((kept.split == s).sum()) for s in splits},
        "class_counts_by_split": {s: kept.class_counts(s) for s in splits},
        "subjects": int(len(set(kept.subject) - {""})), "sequences": int(len(set(kept.sequence) - {""})),
        "au_codes": kept.au_codes.tolist(), "au_known_rows": int(kept.au_known.sum()),
        "seconds": round(seconds, 2),
    }


def value_counts(values: np.ndarray) -> dict:
    names, counts = np.unique(values, return_counts=True)
    return {str(n): int(c) for n, c in zip(names, counts)}
