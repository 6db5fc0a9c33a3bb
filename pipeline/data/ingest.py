"""Stage `ingest`: raw dataset layouts -> one canonical dataset per source, plus a leakage audit.

Reads RAW_DIR (dvc.yaml passes `data.raw_dir`), recognises every known layout there (FER-2013 csv
or image folders, CK+48 folders with optional FACS files or the Kaggle `ckextended.csv`, RaFD file
names) and writes CANONICAL_DIR/<source>.npz. With no known layout it writes the embedded demo
dataset instead. Each source is audited for exact duplicates, near-duplicates and blank images; by
default the training copies of images that also sit in a val/test split, and blank training images,
are dropped (REPORT_DIR/audit_<source>.json|md say how many; REPORT_DIR/summary.json counts rows).

    python -m pipeline.data.ingest RAW_DIR CANONICAL_DIR REPORT_DIR
"""

import argparse
from pathlib import Path

from pipeline.core.cli import run_stage
from pipeline.core.errors import PipelineError
from pipeline.core.outputs import atomic_path, write_json, write_text
from pipeline.core.params import load
from pipeline.data.audit import audit_markdown
from pipeline.data.canonical import ingest_sources
from pipeline.data.config import IngestKeys

PARAMS = {"data": IngestKeys}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw_dir", type=Path, help="folder holding the raw layouts (data.raw_dir)")
    parser.add_argument("canonical_dir", type=Path, help="where <source>.npz are written")
    parser.add_argument("report_dir", type=Path, help="where summary.json and the audits are written")
    args = parser.parse_args(argv)
    cfg = load(IngestKeys, "data")
    if not args.raw_dir.is_dir():
        raise PipelineError(f"{args.raw_dir}: raw data directory (data.raw_dir) not found")
    datasets, audits, summary = ingest_sources(args.raw_dir, cfg)
    # All outputs appear together or not at all.
    with atomic_path(args.canonical_dir, is_dir=True) as tmp_dir:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        for source, ds in datasets.items():
            ds.save(tmp_dir / f"{source}.npz")
    with atomic_path(args.report_dir, is_dir=True) as tmp_dir:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        for source, report in audits.items():
            write_json(tmp_dir / f"audit_{source}.json", report)
            write_text(tmp_dir / f"audit_{source}.md", audit_markdown(source, report))
        write_json(tmp_dir / "summary.json", summary)


if __name__ == "__main__":
    run_stage(main)
