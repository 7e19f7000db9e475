"""A genlab with torch already imported, which forks one child process per command the tests run.

Every `python -m genlab ...` would pay the same 3 s of imports (torch, numpy, scikit-learn, genlab) before
doing a few milliseconds of work; this server pays them once. Each request is one command: the server
forks, and the child becomes that command as a fresh process would run it — its own working directory,
environment, argv, stdin from /dev/null, stdout and stderr into the files named, and its exit code (0, 2
for a UserError, 1 with a traceback for a crash) reported back. The server itself never runs torch, so
the children start from the state a fresh interpreter has, except for what libraries read from the
environment when they are imported (torch's OMP_NUM_THREADS, rich's terminal settings): those are the
test session's, which is what a test's own environment is anyway. conftest.py's `run_cli` talks to it; set
GENLAB_TEST_SUBPROCESS=1 to run every command as a plain subprocess instead.

Protocol: one JSON request per line on stdin ({"args", "cwd", "env", "stdout", "stderr"}); on the reply
file descriptor (argv[1]) one line {"pid": P} when the child starts and one {"status": S} when it ends
(S is the exit code, or minus the signal that killed it).
"""

from __future__ import annotations

import atexit
import json
import os
import runpy
import sys
import threading
import traceback


def _become_command(request: dict, reply_fd: int) -> None:
    """In the forked child: run genlab with the request's argv, cwd, env and files, then exit. Never returns."""
    code = 1
    try:
        os.close(reply_fd)  # only the server reports
        os.setsid()  # its own process group, so a timeout ends whatever it started too
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, request["stdout"], os.O_WRONLY | os.O_CREAT),
                                (2, request["stderr"], os.O_WRONLY | os.O_CREAT)):
            os.dup2(os.open(path, flags), fd)
        sys.argv = ["genlab", *request["args"]]
        try:
            runpy.run_module("genlab", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as stop:  # what the interpreter does with it at the end of a script
            if stop.code is None or isinstance(stop.code, int):
                code = stop.code or 0
            else:
                print(stop.code, file=sys.stderr)
        except BaseException:  # noqa: BLE001  (a crash: the traceback, exit code 1, as python would)
            traceback.print_exc()
        threading._shutdown()  # what the interpreter does at exit: wait for non-daemon threads
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code)


def serve(reply_fd: int) -> None:
    def reply(message: dict) -> None:
        os.write(reply_fd, (json.dumps(message) + "\n").encode())

    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _become_command(request, reply_fd)
        reply({"pid": pid})
        _, status = os.waitpid(pid, 0)
        reply({"status": os.waitstatus_to_exitcode(status)})


if __name__ == "__main__":
    import torch  # noqa: F401  (the imports every command would otherwise pay for)

    import genlab.api  # noqa: F401
    import genlab.cli  # noqa: F401

    serve(int(sys.argv[1]))
