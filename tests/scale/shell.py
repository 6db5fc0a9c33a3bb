"""git and dvc commands for the tests' scratch projects: bounded in time, one line of output on failure."""

import os
import subprocess
import sys
from pathlib import Path

ENV = {**os.environ, "DVC_NO_ANALYTICS": "1", "GIT_AUTHOR_NAME": "test",
       "GIT_AUTHOR_EMAIL": "test@example.com", "GIT_COMMITTER_NAME": "test",
       "GIT_COMMITTER_EMAIL": "test@example.com",
       "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def sh(*cmd, cwd, timeout=60, env=None) -> str:
    """Run `cmd` in `cwd`; its stdout + stderr. Fails the test on a non-zero exit."""
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env={**ENV, **(env or {})}, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))}: {done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def dvc(*args, cwd, timeout=60, env=None) -> str:
    return sh(sys.executable, "-m", "dvc", *args, cwd=cwd, timeout=timeout, env=env)


def git(*args, cwd, timeout=60) -> str:
    return sh("git", *args, cwd=cwd, timeout=timeout)
