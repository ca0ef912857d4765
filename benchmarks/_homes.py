"""Cold ``DRIFTSCOPE_HOME`` folders for the timed benchmarks (``speed.py``, ``corpus_bench.py``)."""

from __future__ import annotations

import shutil
from pathlib import Path


def cold_home(tmp: Path, name: str) -> Path:
    """``tmp/home-<name>``, emptied: no embedding, token or language cache, but links to what
    an installation builds once, the model folder and langdetect's compiled profiles (compiled
    here first, like the model folder's exports)."""
    from driftscope.embed import build_e5
    from driftscope.ingest import langid

    home = tmp / f"home-{name}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    (home / "models").symlink_to(build_e5.model_dir().parent, target_is_directory=True)
    langid.detect_language("compile the profiles once, like the model folder's exports")
    profiles = langid.compiled_profiles()
    if profiles.is_dir():
        (home / profiles.name).symlink_to(profiles, target_is_directory=True)
    return home
