#!/usr/bin/env python3
"""Parse a console log with LAVA's own test-shell code, as a LAVA job would.

Usage: lava-parse.py LAVA_PYTHON_DIR CONSOLE_LOG

LAVA_PYTHON_DIR is lava-dispatcher's and lava-common's dist-packages (the Debian packages,
extracted). The log is read through pexpect with the patterns of lava-dispatcher's
TestShellAction, and every match goes to its check_patterns(), which records results through the
action's logger. Prints JSON: {"results": [...], "raised": message or null, "errors": [...]}.
"""
import json
import sys

sys.path.insert(0, sys.argv[1])

import pexpect  # noqa: E402
from pexpect import fdpexpect  # noqa: E402
from lava_common.exceptions import ConnectionClosedError, TestError  # noqa: E402
from lava_dispatcher.actions.test.shell import TestShellAction  # noqa: E402


class Recorder:
    """The calls TestShellAction makes on LAVA's job logger."""

    def __init__(self):
        self.collected = []
        self.errors = []
        # logger.results(data): one test case result
        self.results = self.collected.append

    def error(self, msg, *args):
        self.errors.append(msg % args if args else msg)

    def info(self, *args):
        pass

    debug = warning = exception = event = marker = info


def main():
    recorder = Recorder()
    action = TestShellAction()
    action._reset_patterns()
    action.logger = recorder
    action.signal_director.logger = recorder
    # What lava-test-runner's STARTRUN would have set.
    action.definition = "0_ffs-lab"
    action.signal_director.test_uuid = "1_ffs-lab"
    raised = None
    with open(sys.argv[2], "rb") as log:
        conn = fdpexpect.fdspawn(log, encoding="utf-8", codec_errors="replace", timeout=5)
        while True:
            index = conn.expect(list(action.patterns.values()))
            event = list(action.patterns.keys())[index]
            try:
                action.check_patterns(event, conn, None)
            except ConnectionClosedError:
                break
            except TestError as exc:
                raised = str(exc)
                break
    print(json.dumps({"results": recorder.collected, "raised": raised, "errors": recorder.errors}))


if __name__ == "__main__":
    main()
