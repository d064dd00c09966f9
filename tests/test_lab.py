"""JupyterLab serves the notebooks and runs the project's library in the `riskresearch` kernel.

A real JupyterLab server, started as `make lab` starts it (``--notebook-dir``), listens on
loopback with a token and serves a temporary copy of ``notebooks/``. Its REST API must list the
release notebooks, and a kernel started through the server and driven over its websocket must
import the same ``src/riskresearch`` that papermill runs.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import websocket

from riskresearch import release
from tests.conftest import ROOT
from tests.test_notebooks import TOOLS

# A guard against a hung server or kernel, not a timing check: a healthy start takes seconds.
TIMEOUT = 60


@dataclass
class Lab:
    """A running Jupyter server: its base URL and token."""

    port: int
    token: str

    def request(self, method: str, path: str, body: dict | None = None, timeout=TIMEOUT):
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as res:
            text = res.read()
        return json.loads(text) if text else None

    def get(self, path: str):
        return self.request("GET", path)


@dataclass
class Result:
    """What one ``execute_request`` produced: the reply, stdout, and any error outputs."""

    reply: dict
    stdout: str = ""
    errors: list[str] = field(default_factory=list)


@dataclass
class Kernel:
    """A kernel the server started, driven over the server's websocket channels."""

    id: str
    ws: websocket.WebSocket
    session: str = field(default_factory=lambda: uuid.uuid4().hex)

    def execute(self, code: str) -> Result:
        msg_id = uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "msg_type": "execute_request",
            "session": self.session,
            "username": "test_lab",
            "version": "5.3",
        }
        content = {"code": code, "silent": False, "store_history": False, "allow_stdin": False}
        self.ws.send(
            json.dumps(
                {
                    "channel": "shell",
                    "header": header,
                    "parent_header": {},
                    "metadata": {},
                    "content": content,
                }
            )
        )
        reply, idle, stdout, errors = None, False, [], []
        while reply is None or not idle:  # the reply (shell) and idle (iopub) come in any order
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, body = msg["msg_type"], msg["content"]
            if kind == "execute_reply":
                reply = body
            elif kind == "status" and body["execution_state"] == "idle":
                idle = True
            elif kind == "stream" and body["name"] == "stdout":
                stdout.append(body["text"])
            elif kind == "error":
                errors.append(f"{body['ename']}: {body['evalue']}")
        return Result(reply, "".join(stdout), errors)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM (the server shuts its kernels down), then SIGKILL the process group."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=15)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "notebooks"
    shutil.copytree(ROOT / "notebooks", root)  # the server never touches the real folder
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        # no user config (~/.jupyter); kernel specs still come from the default JUPYTER_PATH
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "IPYTHONDIR": str(tmp / "ipython"),  # the kernel's history database
    }
    (tmp / "notary").mkdir()
    log = tmp / "server.log"
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--notebook-dir={root}",  # the option `make lab` passes
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",  # exactly this port, or fail
        f"--IdentityProvider.token={token}",
        "--ServerApp.allow_root=True",  # CI containers run as root; no effect otherwise
        # write nothing outside tmp: the trust database that opening a notebook updates, and no
        # language-server search (jupyter_lsp runs `npm`, which logs to ~/.npm)
        f"--NotebookNotary.data_dir={tmp / 'notary'}",
        "--LanguageServerManager.autodetect=False",
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=tmp, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Lab(port, token)
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
            try:
                server.request("GET", "/api/status", timeout=2)
                break
            except urllib.error.HTTPError:
                raise  # it answered, wrongly (a 403 would mean the token was not taken)
            except OSError:  # not listening yet (URLError, ConnectionError, TimeoutError)
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not answer:\n{log.read_text()[-3000:]}")
                time.sleep(0.1)
        yield server
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def kernel(lab):
    specs = lab.get("/api/kernelspecs")["kernelspecs"]
    if release.KERNEL not in specs:
        pytest.fail(
            f"The Jupyter kernel '{release.KERNEL}' is not registered (found {sorted(specs)}). "
            f"Run: python -m ipykernel install --sys-prefix --name {release.KERNEL}"
        )
    model = lab.request("POST", "/api/kernels", {"name": release.KERNEL})
    try:
        assert model["name"] == release.KERNEL
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{lab.port}/api/kernels/{model['id']}/channels?token={lab.token}",
            timeout=TIMEOUT,
        )
        try:
            yield Kernel(model["id"], ws)
        finally:
            ws.close()
    finally:
        try:
            lab.request("DELETE", f"/api/kernels/{model['id']}")
        except OSError:
            pass  # the server is stopped next and shuts down any kernel left


def test_server_requires_the_token(lab):
    with pytest.raises(urllib.error.HTTPError, match="403"):
        urllib.request.urlopen(f"http://127.0.0.1:{lab.port}/api/contents", timeout=TIMEOUT)


def test_server_lists_the_release_notebooks(lab):
    listing = lab.get("/api/contents")
    names = sorted(item["name"] for item in listing["content"] if item["type"] == "notebook")
    assert names == sorted([*release.NOTEBOOKS, *TOOLS])  # and the tools beside them


def test_notebooks_name_the_registered_kernel(lab):
    specs = lab.get("/api/kernelspecs")["kernelspecs"]
    for name in [*release.NOTEBOOKS, *TOOLS]:
        notebook = lab.get(f"/api/contents/{name}")
        assert notebook["type"] == "notebook"
        kernel_name = notebook["content"]["metadata"]["kernelspec"]["name"]
        assert kernel_name == release.KERNEL
        assert kernel_name in specs


def test_server_kernel_runs_the_project_library(kernel):
    result = kernel.execute(
        "import sys\nfrom riskresearch import release\n"
        "print(release.KERNEL)\nprint(release.__file__)\nprint(sys.prefix)"
    )
    assert result.reply["status"] == "ok", result.errors
    name, path, prefix = result.stdout.splitlines()
    assert name == release.KERNEL
    # the same source tree papermill's kernel and this test import, in the same environment
    assert Path(path).resolve() == ROOT / "src" / "riskresearch" / "release.py"
    assert Path(path).resolve() == Path(release.__file__).resolve()
    assert prefix == sys.prefix


def test_server_kernel_reports_errors(kernel):
    result = kernel.execute("import riskresearch.no_such_module")
    assert result.reply["status"] == "error"
    assert result.errors == ["ModuleNotFoundError: No module named 'riskresearch.no_such_module'"]


@pytest.mark.parametrize("name", release.NOTEBOOKS)
def test_import_cell_runs_in_server_kernel(lab, kernel, name):
    cells = lab.get(f"/api/contents/{name}")["content"]["cells"]
    source = cells[1]["source"]
    source = "".join(source) if isinstance(source, list) else source
    assert source.startswith(("import ", "from "))
    result = kernel.execute(source)
    assert result.errors == []
    assert result.reply["status"] == "ok"
