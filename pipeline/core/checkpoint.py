"""One resume mechanism for every trained model: Keras BackupAndRestore keyed by a run fingerprint.

A run's backup lives in `<root>/<fingerprint>/` outside DVC's outs (so `dvc repro` does not wipe
it); a killed `fit()` restarts from the last finished epoch with weights *and* optimizer state.
A changed config or data gives another fingerprint, so a stale backup is never resumed.
"""

import hashlib
import json
import shutil
from pathlib import Path


def fingerprint(*parts) -> str:
    """Stable short hash of JSON-able parts (configs as dicts, data digests as strings)."""
    text = json.dumps([_plain(p) for p in parts], sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def data_digest(*arrays) -> str:
    """Hash of arrays' bytes and shapes: new pixels under the same ids never resume old weights."""
    h = hashlib.sha1()
    for a in arrays:
        h.update(str(getattr(a, "shape", "")).encode())
        h.update(memoryview(a).tobytes() if hasattr(a, "tobytes") else str(a).encode())
    return h.hexdigest()[:16]


class RunCheckpoint:
    """Backup folder of one training run (`root/<fingerprint>`), its resume callback and clean-up."""

    def __init__(self, root: Path | str, run_fingerprint: str):
        self.root = Path(root)
        self.fingerprint = run_fingerprint
        self.dir = self.root / run_fingerprint

    @property
    def resuming(self) -> bool:
        """True when a backup of this very run exists (dvclive then appends instead of restarting)."""
        return (self.dir / "training_metadata.json").is_file()

    def callback(self):
        """The BackupAndRestore callback for `fit()`; drops backups of other fingerprints first."""
        if self.root.is_dir():
            for other in self.root.iterdir():
                if other.is_dir() and other.name != self.fingerprint:
                    shutil.rmtree(other, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        return _backup_callback(str(self.dir))

    def state(self) -> dict:
        """Small JSON state kept beside the weights (e.g. best validation score so far)."""
        path = self.dir / "state.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    def save_state(self, state: dict) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / ".state.json.tmp"
        tmp.write_text(json.dumps(state, default=_plain))
        tmp.replace(self.dir / "state.json")

    def finish(self) -> None:
        """Remove the backup once the final model is written (call after saving it)."""
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.root.is_dir() and not any(self.root.iterdir()):
            self.root.rmdir()


def _backup_callback(backup_dir: str):
    import keras

    class BackupAndRestore(keras.callbacks.BackupAndRestore):
        """Builds every optimizer before restoring, so custom train_steps resume their Adam moments.

        Keras builds only `model.optimizer` before `on_train_begin`; a model with its own
        optimizers (GANs) names them in `build_optimizers()`, else their saved state is skipped.
        """

        def on_train_begin(self, logs=None):
            build = getattr(self.model, "build_optimizers", None)
            if build is not None:
                build()
            super().on_train_begin(logs)

    return BackupAndRestore(backup_dir, delete_checkpoint=False)


def _plain(value):
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (ValueError, AttributeError):
            pass
    return value
