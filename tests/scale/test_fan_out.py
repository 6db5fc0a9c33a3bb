"""Fan-out of the per-class GAN stages over machines sharing a git remote and a DVC remote (docs/scale.md):

    seed clone:   dvc repro prepare && dvc push, commit dvc.lock, git push    (has the raw data)
    machine A/B:  dvc pull prepare && dvc repro -s train_gan@<class> && dvc push train_gan@<class>
                  git checkout -- dvc.lock && git pull           # the others' entries, no text merge
                  dvc commit -f train_gan@<class>                # this stage's entry, from its outputs
                  git add dvc.lock reports/gan/<class> && git commit && git push
    finisher:     git pull && dvc pull --allow-missing && dvc repro --allow-missing

on a tiny project with the pipeline's shapes: an `ingest` reading raw data that is in neither git
nor DVC (only the seed clone has it), a foreach stage with a cached model folder, a `cache: false`
card and a `persist` dvclive folder whose sample images git ignores, and a downstream stage depending
on the parent folder `models/gan`; two local clones, a bare git repository and a local directory as
the DVC remote. Every stage run is logged to RUNS_LOG, so the test sees what ran where (the
finisher trains nothing again and needs no raw data).
"""

import pytest

from .shell import dvc, git

pytestmark = pytest.mark.scale

TRAIN = """import json, os, sys
from pathlib import Path

c = sys.argv[1]
n = len(json.loads(Path("data/balanced.json").read_text()))
Path(f"models/gan/{c}").mkdir(parents=True, exist_ok=True)
Path(f"models/gan/{c}/generator.json").write_text(json.dumps({"class": c, "images": n}))
Path(f"reports/gan/{c}/live/plots/images").mkdir(parents=True, exist_ok=True)
Path(f"reports/gan/{c}/live/metrics.json").write_text(json.dumps({"g_loss": 1.0}))
Path(f"reports/gan/{c}/live/plots/images/epoch_0001.png").write_text("not in git")
Path(f"reports/gan/{c}/training.json").write_text(json.dumps({"class": c}))
with open(os.environ["RUNS_LOG"], "a") as log:
    log.write(f"{os.environ['MACHINE']} train_gan@{c}\\n")
"""
INGEST = """import json, os
from pathlib import Path

Path("data").mkdir(exist_ok=True)
Path("data/canonical.json").write_text(json.dumps(sorted(p.name for p in Path("raw").iterdir())))
with open(os.environ["RUNS_LOG"], "a") as log:
    log.write(f"{os.environ['MACHINE']} ingest\\n")
"""
PREPARE = """import json, os
from pathlib import Path

rows = json.loads(Path("data/canonical.json").read_text())
Path("data/balanced.json").write_text(json.dumps(rows * 2))
with open(os.environ["RUNS_LOG"], "a") as log:
    log.write(f"{os.environ['MACHINE']} prepare\\n")
"""
SYNTHESIZE = """import json, os
from pathlib import Path

models = sorted(p.name for p in Path("models/gan").iterdir())
Path("data/synthetic.json").write_text(json.dumps(models))
with open(os.environ["RUNS_LOG"], "a") as log:
    log.write(f"{os.environ['MACHINE']} synthesize\\n")
"""
DVC_YAML = """stages:
  ingest:
    cmd: python ingest.py
    deps: [ingest.py, raw]
    outs: [data/canonical.json]
  prepare:
    cmd: python prepare.py
    deps: [prepare.py, data/canonical.json]
    outs: [data/balanced.json]
  train_gan:
    foreach: ${gan.classes}
    do:
      cmd: python train.py ${item}
      deps: [train.py, data/balanced.json]
      params: [gan.epochs]
      outs:
        - models/gan/${item}
        - reports/gan/${item}/training.json:
            cache: false
        - reports/gan/${item}/live:
            cache: false
            persist: true
  synthesize:
    cmd: python synthesize.py
    deps: [synthesize.py, models/gan]
    outs: [data/synthetic.json]
"""
FILES = {"params.yaml": "gan:\n  classes: [happy, sad]\n  epochs: 1\n", "dvc.yaml": DVC_YAML,
         "train.py": TRAIN, "ingest.py": INGEST, "prepare.py": PREPARE, "synthesize.py": SYNTHESIZE,
         ".gitignore": "/raw/\n/data/\n/models/\n/reports/**/live/plots/images/\n",
         # the pipeline's .dvcignore: DVC hashes of the dvclive folders leave out what git ignores
         ".dvcignore": "/reports/**/live/plots/images/\n"}


@pytest.fixture
def shared(tmp_path):
    """A bare git repository with the project at its first stage, and the DVC remote holding its data."""
    git("init", "-q", "--bare", "-b", "main", tmp_path / "origin.git", cwd=tmp_path)
    git("clone", "-q", tmp_path / "origin.git", tmp_path / "seed", cwd=tmp_path)
    seed = tmp_path / "seed"
    git("checkout", "-q", "-b", "main", cwd=seed)
    dvc("init", "-q", cwd=seed)
    dvc("remote", "add", "-d", "shared", tmp_path / "dvc-remote", cwd=seed)
    for name, text in FILES.items():
        (seed / name).write_text(text)
    (seed / "raw").mkdir()
    (seed / "raw" / "face_0001.png").write_text("raw data: never in git nor in the DVC remote")
    machine(tmp_path, "seed", "repro", "prepare")
    dvc("push", "-q", cwd=seed)
    git("add", *FILES, ".dvc/config", ".dvc/.gitignore", "dvc.lock", cwd=seed)
    git("commit", "-q", "-m", "prepare", cwd=seed)
    git("push", "-q", "origin", "main", cwd=seed)
    return tmp_path


def machine(root, name, *dvc_args):
    return dvc(*dvc_args, cwd=root / name, env={"RUNS_LOG": str(root / "runs.log"), "MACHINE": name})


def clone(root, name):
    git("clone", "-q", root / "origin.git", root / name, cwd=root)
    return root / name


def publish(root, name, stage):
    """Record this machine's stage in the shared dvc.lock without merging dvc.lock as text."""
    work = root / name
    git("checkout", "--", "dvc.lock", cwd=work)
    git("pull", "-q", "--ff-only", "origin", "main", cwd=work)
    machine(root, name, "commit", "-q", "-f", stage)
    git("add", "dvc.lock", f"reports/gan/{stage.split('@')[1]}", cwd=work)
    git("commit", "-q", "-m", stage, cwd=work)
    git("push", "-q", "origin", "HEAD:main", cwd=work)


def test_per_class_stages_on_two_machines_then_one_repro_finishes(shared):
    root = shared
    for name, item in (("A", "happy"), ("B", "sad")):  # both start from the same commit
        clone(root, name)
        machine(root, name, "pull", "-q", "prepare")
        machine(root, name, "repro", "-q", "-s", f"train_gan@{item}")  # not ingest: no raw data here
        machine(root, name, "push", "-q", f"train_gan@{item}")
    publish(root, "A", "train_gan@happy")
    publish(root, "B", "train_gan@sad")  # after A: its pull brings A's entry

    finisher = clone(root, "C")
    machine(root, "C", "pull", "-q", "--allow-missing")  # synthesize has never run: nothing to pull
    assert (finisher / "models/gan/happy/generator.json").is_file()
    assert (finisher / "models/gan/sad/generator.json").is_file()
    machine(root, "C", "repro", "--allow-missing")  # ingest: its raw data is missing, nothing changed
    runs = (root / "runs.log").read_text().splitlines()
    assert runs == ["seed ingest", "seed prepare", "A train_gan@happy", "B train_gan@sad", "C synthesize"]
    assert (finisher / "data/synthetic.json").read_text() == '["happy", "sad"]'
    status = machine(root, "C", "status")
    assert "train_gan" not in status and "synthesize" not in status and "prepare" not in status, status
