"""`precision: auto`: time a few training steps in float32 and mixed_bfloat16, keep the faster.

A stage whose params have a `precision` key (cnn, gan, feature_gan) accepts `auto`. At stage start
the family's `timer(policy) -> seconds per step` runs a few real training steps of its model in each
candidate policy; the faster policy is used for the whole run and the choice with both timings is
recorded in the stage's card / metrics (`record`). The choice is kept in a small json file under
the stage's checkpoint root, so a killed run resumes with the same policy (and the same checkpoint
fingerprint) instead of timing again; `key` names the workload (a changed config times again).
"""

import json
import time
from collections.abc import Callable
from pathlib import Path

CANDIDATES = ("float32", "mixed_bfloat16")


def seconds_per_step(step: Callable[[], object], steps: int = 3, warmup: int = 1) -> float:
    """Mean wall seconds of `step()` over `steps` calls after `warmup` calls (tracing, first allocation)."""
    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t0) / steps


def choose_precision(requested: str, timer: Callable[[str], float], cache: Path | str | None = None,
                     key: str = "", what: str = "", candidates=CANDIDATES) -> tuple[str, dict]:
    """(policy to use, record for the card). `requested` other than auto is used as it is."""
    if requested != "auto":
        return requested, {"requested": requested, "chosen": requested}
    cache = Path(cache) if cache else None
    if cache and cache.is_file():
        try:
            kept = json.loads(cache.read_text())
        except (OSError, ValueError):
            kept = {}
        if kept.get("key") == key and kept.get("chosen") in candidates:
            return kept["chosen"], {k: v for k, v in kept.items() if k != "key"}
    timings = {policy: round(float(timer(policy)), 6) for policy in candidates}
    chosen = min(timings, key=timings.get)
    record = {"requested": "auto", "chosen": chosen, "seconds_per_step": timings}
    if what:
        shown = ", ".join(f"{p} {s * 1000:.1f} ms" for p, s in timings.items())
        print(f"{what}: precision auto -> {chosen} (per training step: {shown})")
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps({"key": key, **record}, indent=2))
        tmp.replace(cache)
    return chosen, record
