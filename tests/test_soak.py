"""scripts/soak.py for two minutes against a copy of the small shop: mixed traffic, jobs, two
refits (accepted although the soak's own jobs fill the address's share) and the worker killed
outright; no error answered or logged, every job finished, the store checks clean."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a server and a worker for two minutes

REPO = Path(__file__).resolve().parent.parent


def test_a_two_minute_soak_ends_clean(data, recommender_dir, tiny_pipeline_dir, tmp_path):
    shutil.copytree(recommender_dir, data / "models" / "recommender")
    out = tmp_path / "soak.json"
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "soak.py"), "--data-dir", str(data), "--minutes", "2",
                           "--clients", "4", "--model", str(tiny_pipeline_dir), "--drain", "180", "--out", str(out),
                           "--doc", str(tmp_path / "reliability.md"), "--logs", str(tmp_path / "logs")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["errors"] == 0 and result["store_check_problems"] == 0
    assert result["requests"] > 1000 and result["latency_ms"]["recommendations"]["n"] > 300
    assert set(result["jobs"]) == {"done"} and result["chaos"].count("refit queued (202)") == 2
    assert result["logged_errors"]["server"]["tracebacks"] == 0 == result["logged_errors"]["worker"]["tracebacks"]
    assert (tmp_path / "logs" / "server.log").exists() and (tmp_path / "logs" / "worker.log").exists()
    assert "## Soak" in (tmp_path / "reliability.md").read_text()
