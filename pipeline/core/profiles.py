"""Params profiles: conf/config.yaml (the base) + conf/profile/<name>.yaml, composed by Hydra.

`dvc exp run -S profile=<name>` does this composition itself (.dvc/config: hydra.enabled) and
writes params.yaml before running; plain `dvc repro` reads params.yaml as committed. This module
gives the same composition to the tests and to whoever edits conf/ (the committed params.yaml must
be the composition of the default profile; tests/test_profiles.py checks it):

    python -m pipeline.core.profiles params.yaml                  # the default profile (cpu)
    python -m pipeline.core.profiles params.yaml profile=demo gan.epochs=3
"""

import argparse
from functools import lru_cache
from pathlib import Path

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
PROFILES = ("demo", "cpu", "paper")


@lru_cache(maxsize=None)
def _compose(conf_dir: str, overrides: tuple[str, ...]) -> dict:
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from omegaconf import OmegaConf

    with initialize_config_dir(config_dir=conf_dir, version_base=None):
        cfg = hydra_compose(config_name="config", overrides=list(overrides))
    return OmegaConf.to_container(cfg, resolve=True)


def compose(profile: str | None = None, overrides=(), conf_dir: Path | str = CONF_DIR) -> dict:
    """The params mapping of `profile` (None = the default of conf/config.yaml) with Hydra overrides."""
    extra = ([f"profile={profile}"] if profile else []) + list(overrides)
    return _copy(_compose(str(Path(conf_dir).resolve()), tuple(extra)))


def to_yaml(params: dict) -> str:
    """The text `dvc exp run` writes (dvc.utils.hydra.compose_and_dump: OmegaConf.to_yaml)."""
    from omegaconf import OmegaConf

    return OmegaConf.to_yaml(OmegaConf.create(params))


def _copy(node):
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="file to write (params.yaml)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides: profile=demo, gan.epochs=3, ...")
    parser.add_argument("--conf", type=Path, default=CONF_DIR, help="the config folder (conf/)")
    args = parser.parse_args(argv)
    args.out.write_text(to_yaml(compose(None, args.overrides, args.conf)), encoding="utf-8")


if __name__ == "__main__":
    main()
