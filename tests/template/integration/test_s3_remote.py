"""DVC against a real S3 API (moto's standalone server on 127.0.0.1): push, pull, resume.

The server runs as its own process on a free port. To interrupt a push part-way, DVC
talks to the server through a TCP proxy that, after a set number of uploaded bytes,
drops every connection and stops listening: to DVC the endpoint has gone away mid-push,
while the objects already stored stay stored, as they would on real S3. Bringing the
endpoint back and re-running `dvc push` must upload only what is missing, and a fresh
clone must then pull every file intact.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import Project, base_env
from tests.template.support.s3 import AWS_ENV, free_port, moto_server, s3_client, stored_keys

pytestmark = pytest.mark.slow

CUT_AFTER = 3_000_000  # bytes uploaded before the endpoint goes away: 8 blobs of 512 KiB


@pytest.fixture(scope="module")
def s3_server() -> Iterator[int]:
    """moto's S3 server in a subprocess on a free port; stopped after the module."""
    with moto_server() as port:
        yield port


def _hang_up(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class CuttableProxy:
    """TCP proxy to the S3 server that can drop every connection and stop listening."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.uploaded = 0
        self.cut_after: int | None = None
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._serving = threading.Event()

    def start(self, cut_after: int | None = None) -> None:
        self.cut_after, self.uploaded = cut_after, 0
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.1)
        self._serving.set()
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def cut(self) -> None:
        """Stop listening and reset every open connection, as if the server died."""
        self._serving.clear()
        with self._lock:
            doomed, self._sockets = self._sockets, set()
        for sock in doomed:
            _hang_up(sock)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        with listener:
            while self._serving.is_set():
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                server = socket.create_connection(("127.0.0.1", self.upstream))
                with self._lock:
                    self._sockets |= {client, server}
                for src, dst, up in ((client, server, True), (server, client, False)):
                    threading.Thread(target=self._pump, args=(src, dst, up), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, upload: bool) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
                if upload:
                    with self._lock:
                        self.uploaded += len(chunk)
                        over = self.cut_after is not None and self.uploaded >= self.cut_after
                    if over:
                        self.cut()
                        return
        except OSError:
            pass
        finally:
            _hang_up(src)
            _hang_up(dst)


def use_s3_remote(project: Project, server: int, endpoint: int | None = None) -> str:
    """Make a fresh bucket the project's default remote; commit the config, like a user would."""
    bucket = f"dvc-{uuid.uuid4().hex[:12]}"
    s3_client(server).create_bucket(Bucket=bucket)
    project.env.update(AWS_ENV)
    project.dvc("remote", "add", "-f", "-d", "s3remote", f"s3://{bucket}/store")
    url = f"http://127.0.0.1:{endpoint or server}"
    project.dvc("remote", "modify", "s3remote", "endpointurl", url)
    project.commit("Use the S3 remote", ".dvc/config")
    return bucket


def fresh_clone(origin: Project, dest: Path) -> Project:
    subprocess.run(["git", "clone", "-q", str(origin.root), str(dest)], check=True)
    clone = Project(dest, base_env(dest))
    clone.env.update(AWS_ENV)
    return clone


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_push_then_pull_into_a_fresh_clone_restores_everything_without_retraining(
    trained: Project, s3_server: int, tmp_path: Path
) -> None:
    use_s3_remote(trained, s3_server)
    trained.dvc("push")
    clone = fresh_clone(trained, tmp_path / "clone")
    assert not (clone.root / "artifacts/model/model.skops").exists()

    clone.dvc("pull")

    for rel in ("artifacts/model/model.skops", "data/breast_cancer.csv"):
        assert sha256(clone.root / rel) == sha256(trained.root / rel)
    assert clone.dvc("status", "--json").stdout.strip() == "{}"
    assert clone.dvc("status", "--cloud", "--json").stdout.strip() == "{}"
    assert clone.repro() == []


def test_push_cut_off_part_way_fails_clearly_and_a_rerun_completes_it(
    trained: Project, s3_server: int, tmp_path: Path
) -> None:
    # Enough separate files that the cut lands part-way through the upload.
    blobs = trained.root / "data" / "blobs"
    blobs.mkdir()
    rng = np.random.default_rng(0)
    for i in range(8):
        (blobs / f"part_{i:02d}.bin").write_bytes(rng.bytes(512 * 1024))
    trained.dvc("add", "data")
    trained.commit("Add binary blobs to the data", "data.dvc")
    expected = {p.name: sha256(p) for p in blobs.iterdir()}

    proxy = CuttableProxy(s3_server)
    bucket = use_s3_remote(trained, s3_server, endpoint=proxy.port)
    proxy.start(cut_after=CUT_AFTER)
    try:
        failed = trained.dvc("push", "--jobs", "1", check=False)
        assert failed.returncode != 0
        # DVC names either the whole push or the first transfers it lost, by timing.
        assert re.search(r"failed to (push data to the cloud|transfer)", failed.stderr)
        assert "Could not connect to the endpoint URL" in failed.stderr
        assert proxy.uploaded >= CUT_AFTER
        partial = stored_keys(s3_server, bucket)
        assert partial, "the cut came before anything was stored"

        proxy.start()  # the endpoint is back, with what was already stored
        done = trained.dvc("push", "--jobs", "1")
        assert trained.dvc("status", "--cloud", "--json").stdout.strip() == "{}"
    finally:
        proxy.cut()

    total = stored_keys(s3_server, bucket)
    assert partial < total
    pushed = int(re.search(r"(\d+) files? pushed", done.stdout).group(1))  # type: ignore[union-attr]
    assert pushed == len(total - partial)  # the re-run uploaded only what was missing

    clone = fresh_clone(trained, tmp_path / "clone")
    # The committed endpoint is the (now closed) proxy; point this clone at the server.
    direct = f"http://127.0.0.1:{s3_server}"
    clone.dvc("remote", "modify", "--local", "s3remote", "endpointurl", direct)
    clone.dvc("pull")
    assert {p.name: sha256(p) for p in (clone.root / "data" / "blobs").iterdir()} == expected
    assert clone.dvc("status", "--json").stdout.strip() == "{}"
