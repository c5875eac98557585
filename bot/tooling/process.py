"""`clio run` as a real child process against the fake Discord: for tests and benchmarks that kill it,
signal it, measure its memory or run several."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from bot.tooling.fakediscord import FakeDiscord


class ClioProcess:
    def __init__(self, name: str, fake: FakeDiscord, database: str, logs: Path, *run_options: str) -> None:
        """``logs``: the folder of its log file; ``run_options``: more options for ``clio run``."""
        self.name, self.log = name, logs / f"{name}.log"
        self.run_options = run_options
        self.env = {
            **os.environ,
            "DISCORD_TOKEN": fake.token,
            "CLIO_DISCORD_API": fake.api_url,
            "CLIO_DISCORD_GATEWAY": fake.gateway_url,
            "CLIO_DATABASE": database,
            "CLIO_DEFAULT_PACKS": "nazi-soviet-pact",
            "CLIO_LOG_LEVEL": "INFO",
        }
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        with self.log.open("a") as log:
            log.write(f"--- start {self.starts}\n")
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from bot.cli import main; main()", "run", *self.run_options],
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self, timeout: float = 30) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return None

    def peak_rss_mb(self) -> float:
        """The child's peak resident memory so far (Linux: VmHWM), while it runs."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024

    def errors(self) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if " ERROR " in line or "Traceback" in line]
