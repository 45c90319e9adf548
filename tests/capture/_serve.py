"""Start ``penmotor serve`` in a subprocess for tests (shared by the server and browser tests)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_cli(sessions: Path, port: int, *extra: str) -> tuple[subprocess.Popen, str]:
    """``penmotor serve`` in a subprocess; returns it and the URL it printed."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    code = "import sys; from penmotor.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen([sys.executable, "-c", code, "serve", "--sessions", str(sessions), "--port", str(port),
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    end = time.monotonic() + 60
    while time.monotonic() < end:
        line = proc.stdout.readline()
        if not line:
            break
        m = re.search(r"open (http\S+)", line)
        if m:
            return proc, m.group(1)
    proc.kill()
    raise AssertionError(f"penmotor serve printed no URL: {proc.stderr.read()[-2000:]}")
