"""Run rulebook snippets in this interpreter: JSON list on stdin, JSON results on stdout.

Each snippet runs in a fresh namespace; one process per framework keeps the import
cost paid once (and the two frameworks never share a process).
"""

import io
import json
import os
import sys
import traceback
from contextlib import redirect_stdout

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

results = {}
for item in json.load(sys.stdin):
    try:
        with redirect_stdout(io.StringIO()):
            exec(compile(item["code"], item["id"], "exec"), {"__name__": "__snippet__"})
        results[item["id"]] = None
    except BaseException:  # noqa: BLE001 - a failing snippet is a result, not a crash
        results[item["id"]] = traceback.format_exc(limit=-3)
print("SNIPPET-RESULTS " + json.dumps(results))
