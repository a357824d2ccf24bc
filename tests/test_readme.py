"""The README's quickstart runs as written and its loss goes down."""

import pathlib
import re
import subprocess
import sys

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_quickstart_trains_and_saves_a_checkpoint(tmp_path):
    code = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)[0]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    losses = [float(line.split()[1]) for line in out.stdout.splitlines()]
    assert len(losses) == 5 and losses[-1] < losses[0]
    assert (tmp_path / "model.safetensors").stat().st_size > 0
