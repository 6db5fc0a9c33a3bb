"""Stage `ingest`: raw dataset layouts -> one canonical dataset per source, plus a leakage audit.

Reads RAW_DIR (dvc.yaml passes `data.raw_dir`), recognises every known layout there (FER-2013 csv
or image folders, CK+48 folders with optional FACS files or the Kaggle `ckextended.csv`, RaFD file
names; any case, at the top or one folder down) and writes CANONICAL_DIR/<source>.npz. The embedded
demo dataset is written only for `data.demo.use: always`, or `auto` with an empty RAW_DIR; files
in no known layout fail. Each source is audited for exact duplicates, near-duplicates and blank
images; by default the training copies of images that also sit in a val/test split, and blank
training images, are dropped (REPORT_DIR/audit_<source>.json|md say how many; REPORT_DIR/summary.json
counts rows). All outputs are replaced as one unit (pipeline.core.outputs.stage_outputs).

    python -m pipeline.data.ingest RAW_DIR CANONICAL_DIR REPORT_DIR
"""

import argparse
from pathlib import Path

from pipeline.core.cli import run_stage
from pipeline.core.outputs import stage_outputs, write_json, write_text
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
    datasets, audits, summary = ingest_sources(args.raw_dir, cfg)
    # All outputs are replaced together or not at all (a failure leaves the previous ones).
    with stage_outputs(args.canonical_dir, args.report_dir) as (canonical_dir, report_dir):
        for source, ds in datasets.items():
            ds.save(canonical_dir / f"{source}.npz")
        for source, report in audits.items():
            write_json(report_dir / f"audit_{source}.json", report)
            write_text(report_dir / f"audit_{source}.md", audit_markdown(source, report))
        write_json(report_dir / "summary.json", summary)

if __name__ == "__main__":
    run_stage(main)
