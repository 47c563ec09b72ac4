"""coverage-spy's runtime inside every measured process, imported by sitecustomize.py when the spy's env is set.

It starts coverage.py and keeps what it measures when the process leaves in any way, or is killed:

- picks the coverage.py build that fits this Python from the mounted spy lib (spylib.py);
- picks the measurement core: sysmon on 3.12+ where it can measure what is asked, else coverage's default
  (settings.py, with the spy's own settings from the [coverage_spy] section of the rcfile);
- leaves records next to the data files, so the harvester can tell a clean exit from a lost or killed process
  (records.py, the one definition of their format, which the harvester and the signal helper import too);
- saves every `save_interval` seconds from a background thread, so a SIGKILL or the OOM killer loses at most
  that slice (saver.py); on the snapshot signal saves now, on the reset signal discards what was collected, and
  the process runs on (signals.py);
- saves once and writes the end record when the process leaves through exit, os._exit, exec or SIGTERM
  (exits.py, in front of coverage.py's own [run] patch wrappers and SIGTERM handler);
- with per-test contexts (`contexts = true`), switches coverage.py's dynamic context at each test boundary the
  relay tells it through its own unix socket, so every line is recorded under the test that ran it (contexts.py);
- stops its threads (the saver's, the context listener's) around fork(), so forks never see them and never warn
  about them (forks.py);
- notices greenlets its core does not follow (gevent under a tracer without [run] concurrency = gevent) and says
  so in its records and on stderr, naming the option (greenlets.py);
- startup.py starts it all, spy.py ties it together in one process; problems.py reports a problem once.

Standard library plus the mounted coverage.py, imported only once the build is chosen. Nothing here may break
the app: a failure is reported once on stderr (or, where it loses nothing, passed over with the reason said in a
comment), and the app runs on.
"""

from _coverage_spy.settings import Settings, choose_core, parse_signal
from _coverage_spy.spylib import LIB_MANIFEST, select_coverage_lib
from _coverage_spy.startup import start

# What sitecustomize.py, scripts/spy-lib.sh's check and the tests call.
__all__ = ["LIB_MANIFEST", "Settings", "choose_core", "parse_signal", "select_coverage_lib", "start"]
