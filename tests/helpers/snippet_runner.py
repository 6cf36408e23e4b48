"""Run rulebook snippets in this interpreter: JSON list on stdin, JSON results on stdout.

Each snippet runs in a fresh namespace; one process per framework keeps the import
cost paid once (and the two frameworks never share a process).
"""

import io
import json
import linecache
import os
import sys
import tempfile
import traceback
from contextlib import redirect_stdout

# Keep Keras' config file and anything a snippet writes out of the user's home and the checkout.
workdir = tempfile.mkdtemp(prefix="fwguide-snippets-")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["KERAS_HOME"] = os.path.join(workdir, ".keras")
os.chdir(workdir)

results = {}
for item in json.load(sys.stdin):
    code = item["code"]
    # AutoGraph (tf.function) reads a function's source; give exec'd code a source to read.
    linecache.cache[item["id"]] = (len(code), None, code.splitlines(True), item["id"])
    try:
        with redirect_stdout(io.StringIO()):
            exec(compile(code, item["id"], "exec"), {"__name__": "__snippet__"})
        results[item["id"]] = None
    except BaseException:  # a failing snippet is a result, not a crash
        results[item["id"]] = traceback.format_exc(limit=-3)
print("SNIPPET-RESULTS " + json.dumps(results))
