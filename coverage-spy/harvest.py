"""coverage-spy's harvester: sets up the data volume, then combines a run's data and writes its reports.

    harvest.py init --data-dir D
    harvest.py harvest --data-dir D --run-id R --rcfile F --out O --keep K --lost warn|fail --service NAME=PATH ...
                       --project P --stack S [--owner UID:GID] [--inputs TAR] [--volume-name V]
    harvest.py harvest --live --data-dir D --run-id R --rcfile F --out O --lost warn|fail --service NAME=PATH ...

`init` makes the volume's runs/ folder once; each run's first measured process makes the run's folders in it
(_coverage_spy.records.ensure_folder). A harvest prunes the runs beyond K, in the volume and beside O, even when it
fails. Beside O it removes only folders it can prove are runs of this stack: each harvest writes O/RUN_MARKER
(project, stack, run id) first, and a folder without one naming this project, stack and the folder's own name (a
user's folder, another stack's run, a link) is never touched. In the volume (the stack's own) it removes only
run-id-shaped folders.

Every value comes from the component (components/options/optionTable.ts holds the defaults): none has a
default here.

The harvest writes every report format for the total and for each service under O, and O/harvest.json, which
names them (paths relative to O): "reports" for the total's, services.<name>.report for each service's JSON.
harvest.json's "warnings" lists what the measurement may have got wrong, with the option that fixes it (see
concurrency_warnings); each is also said on stderr. With per-test contexts ([coverage_spy] contexts in the rcfile),
harvest.json's "perTest" and O/total/contexts.json say which test ran which line (contexts_index.py).
Standard library plus coverage.py only. It fails loudly (non-zero exit, a message naming what is missing) and
never reports an empty result as a success.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import posixpath
import re
import shutil
import stat
import sys
import tempfile
import time
from typing import Any

# The spy's record format, from the spy's own folder: mounted with this script (coverage-spy/site).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "site"))
import contexts_index  # noqa: E402 - next to this script, which Python puts first on sys.path
from _coverage_spy import greenlets, records  # noqa: E402
from _coverage_spy.records import RUNS  # noqa: E402
from _coverage_spy.settings import Settings  # noqa: E402

EXIT_NO_DATA = 3
# The reports write_reports writes into a folder, by format: file names relative to it.
REPORT_FILES = {
    "html": "html/index.html",
    "json": "coverage.json",
    "xml": "coverage.xml",
    "lcov": "coverage.lcov",
    "text": "coverage.txt",
}
TOTAL = "total"
SERVICES = "services"

Outcomes = dict[str, list[records.Record]]


class HarvestError(Exception):
    """A problem the user must see; the message says what and where."""


def parse_service(text: str) -> tuple[str, str]:
    """NAME=/absolute/source/path as (name, source path without a trailing slash)."""
    name, sep, source_path = text.partition("=")
    if not sep or not name or not source_path.startswith("/"):
        raise argparse.ArgumentTypeError(f"expected NAME=/absolute/source/path, got {text!r}")
    return name, source_path.rstrip("/") or "/"


# A run folder in the report folder that carries this file is a run coverage-spy made, of the stack it names: the
# only kind of folder a harvest ever prunes there. A user's folder (whatever its name) or another stack's carries none
# naming this stack, so it is never touched.
RUN_MARKER = ".coverage-spy-run.json"
MARKER_TOOL = "coverage-spy"
# What a run id may be (components/options/validation.ts): the only folder names pruned in the data volume.
RUN_ID = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}")


def write_marker(out: str, project: str, stack: str, run_id: str) -> None:
    """Says that `out` is run `run_id` of `stack` in `project`, made by coverage-spy; written whole.

    Refuses a folder another stack's marker claims: two stacks gave the same runId and reportDir.
    """
    os.makedirs(out, exist_ok=True)
    claimed = read_marker(out)
    if claimed is not None and (claimed.get("project"), claimed.get("stack")) != (project, stack):
        raise HarvestError(
            f"{out} holds run {run_id} of stack {claimed.get('stack')} (project {claimed.get('project')}), and this"
            f" run of stack {stack} wrote its results into it: give each stack its own reportDir, or runId"
        )
    marker = {"tool": MARKER_TOOL, "project": project, "stack": stack, "runId": run_id, "harvested": time.time()}
    path = os.path.join(out, RUN_MARKER)
    with open(f"{path}.tmp", "w") as f:
        json.dump(marker, f)
    os.replace(f"{path}.tmp", path)


def read_marker(folder: str) -> dict[str, Any] | None:
    """The marker of a run folder, or None: no marker, one that is no regular file, or one that cannot be read."""
    path = os.path.join(folder, RUN_MARKER)
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        with open(path) as f:
            marker = json.load(f)
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def real_folder(path: str) -> bool:
    """A folder itself, not a link to one: a link's target is not the run's to remove."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def own_runs(runs_dir: str, project: str, stack: str) -> list[tuple[float, str]]:
    """The runs of `stack` in `project` under a report folder's runs/: (harvest time, name), by their markers only.

    A marker counts only in the folder it was written for (its run id is the folder's name): one copied along with
    a folder elsewhere does not make that folder a run.
    """
    found = []
    for name in os.listdir(runs_dir):
        folder = os.path.join(runs_dir, name)
        if not real_folder(folder):
            continue
        marker = read_marker(folder)
        if marker is None:
            continue
        owner = (marker.get("tool"), marker.get("project"), marker.get("stack"), marker.get("runId"))
        if owner != (MARKER_TOOL, project, stack, name):
            continue
        harvested = marker.get("harvested")
        found.append((float(harvested) if isinstance(harvested, (int, float)) else 0.0, name))
    return found


def volume_runs(runs_dir: str) -> list[tuple[float, str]]:
    """The run folders in the data volume's runs/ (the stack's own): (modified, name) of run-id-shaped folders."""
    found = []
    for name in os.listdir(runs_dir):
        folder = os.path.join(runs_dir, name)
        if RUN_ID.fullmatch(name) and real_folder(folder):
            found.append((os.lstat(folder).st_mtime, name))
    return found


def remove_oldest(runs_dir: str, runs: list[tuple[float, str]], keep: int, current: str) -> list[str]:
    """Removes all but the newest `keep` of `runs` (this one, `current`, counts and is never removed)."""
    older = [name for _, name in sorted(r for r in runs if r[1] != current)]
    doomed = older[: max(0, len(older) - (keep - 1))]
    for name in doomed:
        # Best effort: a file this user may not delete stays, and the next harvest tries again. Pruning old runs
        # must not fail the harvest of this one.
        shutil.rmtree(os.path.join(runs_dir, name), ignore_errors=True)
    return doomed


def prune_reports(runs_dir: str, keep: int, current: str, project: str, stack: str) -> list[str]:
    """Prunes the report folder's runs/ to the newest `keep` runs of this stack: only folders its marker names."""
    if not os.path.isdir(runs_dir):
        return []
    return remove_oldest(runs_dir, own_runs(runs_dir, project, stack), keep, current)


def prune_volume(runs_dir: str, keep: int, current: str) -> list[str]:
    """Prunes the data volume's runs/ to the newest `keep` run folders (nothing else there is ever removed)."""
    if not os.path.isdir(runs_dir):
        return []
    return remove_oldest(runs_dir, volume_runs(runs_dir), keep, current)


# Below this many free bytes (or a tenth of a smaller volume) the data volume counts as full: a save writes SQLite
# pages of coverage.py's data files, and a run of a few processes needs far more than this.
FULL_BELOW = 1024 * 1024


class DataVolume:
    """The data volume as the harvest finds it: its free space, and the processes that found it full (their marks)."""

    def __init__(self, data_dir: str, name: str | None, folders: list[str]) -> None:
        """Looks at the volume mounted at `data_dir` (`name`, when known) and at the run's service `folders`."""
        self.data_dir = data_dir
        self.name = name
        space = os.statvfs(data_dir)
        self.free = space.f_bavail * space.f_frsize
        self.total = space.f_blocks * space.f_frsize
        self.full_processes = sum(len(records.full_marks(folder)) for folder in folders)

    @property
    def low(self) -> bool:
        """Whether so little space is left that saves fail."""
        return self.free < min(FULL_BELOW, self.total // 10)

    def message(self) -> str:
        """That the volume is full, where, how much is free, what it cost, and the fix."""
        where = (
            f"the data volume {self.name} ({self.data_dir} in the containers)"
            if self.name
            else f"the data volume at {self.data_dir}"
        )
        failed = (
            f"; {self.full_processes} process(es) could not save their coverage data there (their logs say"
            " 'database or disk is full' or 'No space left on device'), so this run's coverage is incomplete"
            if self.full_processes
            else "; the services could not save all their coverage data there, so this run's coverage is incomplete"
        )
        space = f"{self.free:,} of {self.total:,} bytes free"
        # The space may have been freed since a process found none (other containers removed, say).
        state = f"is full: {space}" if self.low else f"was full while the services ran (now {space})"
        return (
            f"{where} {state}{failed}. Make room on the disk where the"
            " Docker engine keeps its volumes (`docker system df` shows what takes it, `docker system prune` removes"
            " what nothing uses) or lower keepRuns (the volume keeps that many runs' data), then run again"
        )

    def check(self, trouble: bool) -> None:
        """Fails the harvest naming the full volume, when a process found it full or `trouble` meets little space.

        `trouble`: something went wrong that a full volume causes (data missing, processes that did not end,
        nothing measured).
        """
        if self.full_processes or (trouble and self.low):
            raise HarvestError(self.message())


def parse_owner(value: str) -> tuple[int, int]:
    """The owner given as UID:GID, as (uid, gid)."""
    uid, sep, gid = value.partition(":")
    if not sep or not uid.isdigit() or not gid.isdigit():
        raise argparse.ArgumentTypeError(f"expected UID:GID, got {value!r}")
    return int(uid), int(gid)


def give_to(folder: str, owner: tuple[int, int]) -> None:
    """Hands everything under `folder` (and the folder) to `owner`; nothing there is not ours to give."""
    if not os.path.isdir(folder):
        return
    for root, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            os.lchown(os.path.join(root, name), *owner)
    os.lchown(folder, *owner)


def init(args: argparse.Namespace) -> int:
    """Makes the data volume's runs/ folder, once per volume: each run's first process makes its folders there."""
    runs = os.path.join(args.data_dir, RUNS)
    os.makedirs(runs, exist_ok=True)
    # Any app user may make a run's folder here; sticky, so no process deletes another's.
    os.chmod(runs, records.SHARED_FOLDER_MODE)
    print(f"coverage-spy: data volume ready ({runs})")
    return 0


def data_files(folder: str) -> list[str]:
    """coverage.py's data files in a service's data folder."""
    return sorted(glob.glob(os.path.join(folder, ".coverage.*")))


def process_outcomes(folder: str) -> Outcomes:
    """Pairs every start record with the process's data files and end record.

    ended:       left through exit, os._exit, SIGTERM or exec after saving (data or not: an idle process has none)
    interrupted: never ended (SIGKILL, OOM) but saved periodically: only its last few seconds are missing
    lost:        never ended and saved nothing: all its lines are missing
    """
    saved = {records.data_file_owner(os.path.basename(f)) for f in data_files(folder)}
    ends, saves = records.read_all(folder, records.END), records.read_all(folder, records.SAVES)
    outcomes: Outcomes = {"ended": [], "interrupted": [], "lost": []}
    for key, record in sorted(records.read_all(folder, records.START).items()):
        host, _ = key
        record = dict(record, host=host)
        if key in ends:
            outcomes["ended"].append(record)
        elif key in saved:
            outcomes["interrupted"].append(dict(record, lastSave=saves.get(key, {}).get("lastSave")))
        else:
            outcomes["lost"].append(record)
    return outcomes


def _count(values: Any) -> dict[Any, int]:
    """How many times each value occurs."""
    counts: dict[Any, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def write_reports(cov: Any, out_dir: str) -> float:
    """Every report format (REPORT_FILES), from one combined Coverage object. Returns the total percentage."""
    os.makedirs(out_dir, exist_ok=True)

    def path(kind: str) -> str:
        """Where the report of one format goes."""
        return os.path.join(out_dir, *REPORT_FILES[kind].split("/"))

    cov.json_report(outfile=path("json"), pretty_print=True)
    cov.xml_report(outfile=path("xml"))
    cov.lcov_report(outfile=path("lcov"))
    cov.html_report(directory=os.path.dirname(path("html")))
    with open(path("text"), "w") as text:
        return cov.report(file=text, show_missing=True)


def report_paths(folder: str) -> dict[str, str]:
    """The reports write_reports writes into `folder` (relative to the run's out folder), as harvest.json has them."""
    return {kind: posixpath.join(folder, name) for kind, name in REPORT_FILES.items()}


def combine_service(
    coverage: Any, name: str, source_path: str, data_dir: str, sources_dir: str, rcfile: str, out_dir: str
) -> tuple[Any, int]:
    """Combines one service's data, remapping its container paths onto the source copied out of it.

    Returns the combined Coverage object and how many files under the source it measured.
    """
    staged = os.path.join(sources_dir, name)
    if not os.path.isdir(staged):
        raise HarvestError(f"the source of service {name} was not copied out of its container ({staged} missing)")
    os.makedirs(out_dir, exist_ok=True)
    # coverage.py names files relative to the working directory: from here, a service's reports say
    # "pkg/module.py", as CI tools expect.
    os.chdir(staged)
    cov = coverage.Coverage(data_file=os.path.join(out_dir, ".coverage"), config_file=rcfile)
    paths = dict(cov.get_option("paths") or {})
    paths["coverage_spy_" + name] = [staged + "/", source_path + "/"]
    cov.set_option("paths", paths)
    cov.set_option("run:source", [staged])
    # Files outside the service's source (a stray path) cannot be reported: the copied source is all there is.
    cov.set_option("report:include", [staged + "/*"])
    cov.combine([data_dir], keep=True)
    cov.save()
    data = cov.get_data()
    measured = data.measured_files()
    if not measured:
        raise HarvestError(
            f"service {name} wrote data files but they measured no file: check the service's sourcePath {source_path}"
        )
    outside = sorted(f for f in measured if not f.startswith(staged + "/"))
    # Files of other services' source folders show up unexecuted (the config lists every service's); only
    # executed ones matter.
    outside_executed = [f for f in outside if data.lines(f)]
    if len(outside) == len(measured):
        raise HarvestError(
            f"service {name}: none of its {len(measured)} measured file(s) is under {source_path} (e.g. {outside[0]}):"
            " check the service's sourcePath"
        )
    if outside_executed:
        sys.stderr.write(
            f"coverage-spy: service {name}: {len(outside_executed)} executed file(s) outside {source_path} are left"
            f" out of the report, e.g. {outside_executed[0]}\n"
        )
    return cov, len(measured) - len(outside)


def unpack_inputs(tar_path: str, out_dir: str) -> None:
    """Puts the test run's results (tests.json, sources/) into ``out_dir``, from the tar the test run packed.

    A remote engine's harvester cannot see the host's run folder, so they come uploaded into its container.
    """
    import tarfile

    os.makedirs(out_dir, exist_ok=True)
    try:
        with tarfile.open(tar_path) as tar:
            # "data": no member may land outside out_dir, or be a device or an absolute link.
            tar.extractall(out_dir, filter="data")
    except (OSError, tarfile.TarError) as exc:
        raise HarvestError(f"cannot unpack the test run's results {tar_path}: {exc}") from exc


def exited_early(out_dir: str) -> dict[str, dict[str, Any]]:
    """{service: {"exitCode", "oomKilled"}} of the services the test run found dead before their stop (tests.json)."""
    try:
        with open(os.path.join(out_dir, "tests.json")) as f:
            return json.load(f).get("exitedEarly") or {}
    except (OSError, ValueError):
        # A snapshot has no test run yet; a run without tests.json reports no early exit.
        return {}


def nothing_saved(coverage: Any, source_path: str, staged: str, rcfile: str) -> str:
    """A data folder for a service that died before saving anything: its source files, measured with no line run.

    Its reports then show every line missing, instead of the harvest failing with no outputs at all.
    """
    folder = tempfile.mkdtemp(prefix="coverage-spy-nothing-saved-")
    data = coverage.CoverageData(basename=os.path.join(folder, ".coverage.nothing-saved"))
    # Lines or arcs as the other services' data, which the total combines with it.
    if coverage.Coverage(config_file=rcfile).get_option("run:branch"):
        data.add_arcs({})
    else:
        data.add_lines({})
    data.touch_files(
        [
            os.path.join(source_path, os.path.relpath(os.path.join(root, f), staged))
            for root, _, files in os.walk(staged)
            for f in files
            if f.endswith(".py")
        ]
    )
    data.write()
    return folder


def _command(record: records.Record) -> str:
    """A start record's command line, for a message."""
    return " ".join(record["command"])


def _process(record: records.Record) -> str:
    """A process named for a message: its pid, its host (pids repeat across pods and containers) and command line."""
    return f"{record['pid']} on host {record['host']} ({_command(record)})"


def report_outcomes(name: str, outcomes: Outcomes, summary: dict[str, Any]) -> None:
    """Adds a service's lost and interrupted processes to the summary, and says so on stderr."""
    for record in outcomes["lost"]:
        summary["lostProcesses"].append(dict(record, service=name))
        sys.stderr.write(
            f"coverage-spy: service {name}: process {_process(record)} started measuring but saved no data\n"
        )
    for record in outcomes["interrupted"]:
        summary["interruptedProcesses"].append(dict(record, service=name))
        sys.stderr.write(
            f"coverage-spy: service {name}: process {_process(record)} was killed; its data up to its last periodic"
            " save is kept\n"
        )


def concurrency_warnings(name: str, folder: str, configured: list[str]) -> list[dict[str, Any]]:
    """One warning per concurrency library that processes of a service ran but their core did not follow.

    The processes' saves and end records say so (the spy's greenlets.py): a tracer measured greenlets without
    [run] concurrency naming the library, so lines run in them may be missing or counted in the wrong file.
    `configured` is the rcfile's [run] concurrency; the warning's `value` is the list to set instead: that one with
    the library (in place of another greenlet library: coverage.py takes one).
    """
    ends, saves = records.read_all(folder, records.END), records.read_all(folder, records.SAVES)
    by_library: dict[str, list[records.Record]] = {}
    for key, start in sorted(records.read_all(folder, records.START).items()):
        for library in records.unfollowed_concurrency(saves.get(key), ends.get(key)):
            process = {k: start.get(k) for k in ("pid", "command", "core", "python")}
            by_library.setdefault(library, []).append(dict(process, host=key[0]))
    warnings = []
    for library, processes in by_library.items():
        value = greenlets.fixed_concurrency(configured, [library])
        cores = " or ".join(sorted({str(p["core"] or "its default tracer") for p in processes}))
        example = processes[0]
        message = (
            f"service {name}: {len(processes)} process(es) ran {library} greenlets, which coverage.py's {cores}"
            f" follows only with [run] concurrency = {library}, so lines run in greenlets may be missing or counted"
            f" in the wrong file (e.g. process {example['pid']}: {' '.join(example['command'] or [])}); set"
            f" coverage: {{ concurrency: {json.dumps(value)} }} in the stack's options"
        )
        warnings.append(
            {
                "service": name,
                "kind": "concurrency",
                "library": library,
                "option": "coverage.concurrency",
                "value": value,
                "processes": processes,
                "message": message,
            }
        )
    return warnings


def harvest(args: argparse.Namespace) -> int:
    """Combines the run's data per service and in total, writes every report and harvest.json; prunes old runs."""
    import coverage  # here: `prepare` runs where coverage.py may not be installed

    data_dir = args.data_dir
    sources_dir = os.path.join(args.out, "sources")
    if not args.live:
        # First: a run whose harvest fails is still this stack's to prune later.
        write_marker(args.out, args.project, args.stack, args.run_id)
    if args.inputs is not None:
        unpack_inputs(args.inputs, args.out)
    died = exited_early(args.out)
    folders = [records.service_folder(data_dir, args.run_id, name) for name, _ in args.service]
    # A full volume first: what follows (data missing, processes that seem killed) is what it causes.
    volume = DataVolume(data_dir, args.volume_name, folders)
    volume.check(trouble=False)
    missing = [name for (name, _), folder in zip(args.service, folders) if not data_files(folder)]
    unexplained = [name for name in missing if name not in died]
    if unexplained:
        volume.check(trouble=True)
        raise HarvestError(
            f"no coverage data from service(s) {', '.join(unexplained)} in run {args.run_id}: the processes did not"
            " start coverage (see the service logs for a 'coverage-spy:' line) or were killed before saving"
        )
    summary: dict[str, Any] = {
        "runId": args.run_id,
        "coverageVersion": coverage.__version__,
        "services": {},
        "lostProcesses": [],
        "interruptedProcesses": [],
        "warnings": [],
        "live": args.live,
        "reports": report_paths(TOTAL),
    }
    outcomes = {}
    configured = list(coverage.Coverage(config_file=args.rcfile).get_option("run:concurrency") or [])
    for name, _ in args.service:
        outcomes[name] = process_outcomes(records.service_folder(data_dir, args.run_id, name))
    # A snapshot of running services: not having ended yet is their normal state.
    if not args.live:
        volume.check(trouble=any(found["lost"] or found["interrupted"] for found in outcomes.values()))
    for name, _ in args.service:
        folder = records.service_folder(data_dir, args.run_id, name)
        for warning in concurrency_warnings(name, folder, configured):
            summary["warnings"].append(warning)
            sys.stderr.write(f"coverage-spy: {warning['message']}\n")
        if not args.live:
            report_outcomes(name, outcomes[name], summary)
    if summary["lostProcesses"] and args.lost == "fail":
        raise HarvestError(
            f"{len(summary['lostProcesses'])} process(es) saved no coverage data (see above); lostProcesses is 'fail'"
        )
    combined = []
    for name, source_path in args.service:
        folder = records.service_folder(data_dir, args.run_id, name)
        files = data_files(folder)
        report_dir = posixpath.join(SERVICES, name)
        out_dir = os.path.join(args.out, SERVICES, name)
        if name in died:
            sys.stderr.write(
                f"coverage-spy: service {name} exited during the test suite (exit code {died[name]['exitCode']}"
                f"{', OOM-killed' if died[name]['oomKilled'] else ''}): only the data it saved before is measured\n"
            )
        if not files:
            folder = nothing_saved(coverage, source_path, os.path.join(sources_dir, name), args.rcfile)
        try:
            cov, measured = combine_service(coverage, name, source_path, folder, sources_dir, args.rcfile, out_dir)
        except (HarvestError, coverage.exceptions.CoverageException):
            volume.check(trouble=True)
            raise
        percent = write_reports(cov, out_dir)
        summary["services"][name] = {
            "dataFiles": len(files),
            "processes": {kind: len(found) for kind, found in outcomes[name].items()},
            # Which measurement core each process used (the spy picks sysmon on 3.12+ where it can).
            "cores": _count(r.get("core") or "unknown" for found in outcomes[name].values() for r in found),
            "measuredFiles": measured,
            "sourcePath": source_path,
            "reportRoot": name,
            "percent": percent,
            "report": report_paths(report_dir)["json"],
        }
        combined.append(os.path.join(out_dir, ".coverage"))
        print(f"coverage-spy: service {name}: {len(files)} data file(s), {measured} file(s) measured, {percent:.2f}%")

    # The total names files "<service>/pkg/module.py".
    os.chdir(sources_dir)
    total = coverage.Coverage(data_file=os.path.join(args.out, TOTAL, ".coverage"), config_file=args.rcfile)
    total.set_option("run:source", [sources_dir])
    total.set_option("report:include", [sources_dir + "/*"])
    total.combine(combined, keep=True)
    total.save()
    summary["percent"] = write_reports(total, os.path.join(args.out, TOTAL))
    if Settings(args.rcfile).contexts:
        reported = contexts_index.reported_files(os.path.join(args.out, TOTAL, REPORT_FILES["json"]))
        index = contexts_index.line_contexts(total.get_data(), sources_dir, reported)
        contexts_index.write_index(index, args.out)
        events = contexts_index.read_events(os.path.join(data_dir, RUNS, args.run_id))
        summary["perTest"] = contexts_index.per_test(index, events)
        for warning in contexts_index.warnings(summary["perTest"]):
            summary["warnings"].append(warning)
            sys.stderr.write(f"coverage-spy: {warning['message']}\n")
    with open(os.path.join(args.out, "harvest.json"), "w") as out:
        json.dump(summary, out, indent=2, sort_keys=True)
    with open(os.path.join(args.out, TOTAL, REPORT_FILES["text"])) as text:
        sys.stdout.write(text.read())
    return 0


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module's doc); returns the exit status."""
    parser = argparse.ArgumentParser(prog="harvest.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("init").add_argument("--data-dir", required=True)
    p = sub.add_parser("harvest")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--run-id", required=True)
    p.add_argument("--keep", type=int, help="runs kept (this one included); required but for --live")
    p.add_argument("--service", type=parse_service, action="append", required=True)
    p.add_argument("--owner", type=parse_owner, help="UID:GID to own the reports written (the host's user)")
    p.add_argument("--project", help="the Pulumi project of the stack; required but for --live")
    p.add_argument(
        "--stack", help="the stack whose run this is (only its own old runs are pruned); required but for --live"
    )
    p.add_argument("--volume-name", help="the data volume's name, said when it is full")
    p.add_argument("--rcfile", required=True)
    p.add_argument("--out", required=True)
    p.add_argument(
        "--lost",
        choices=("warn", "fail"),
        required=True,
        help="what a process that started measuring but saved no data does to the harvest",
    )
    p.add_argument(
        "--inputs",
        help="a tar of the test run's tests.json and sources/, unpacked into --out first (a remote engine)",
    )
    p.add_argument(
        "--live",
        action="store_true",
        help="a snapshot of running services: no process is expected to have ended, no old runs are pruned",
    )
    args = parser.parse_args(argv)
    if args.action == "init":
        return init(args)
    if args.keep is None and not args.live:
        parser.error("--keep is required (--live alone prunes nothing)")
    for name in ("stack", "project"):
        if getattr(args, name) is None and not args.live:
            parser.error(f"--{name} is required: a harvest prunes only its own stack's old runs")
    if args.keep is not None and args.keep < 1:
        parser.error("--keep must be at least 1")
    # Absolute paths: the per-service steps change the working directory.
    args.data_dir, args.out, args.rcfile = (os.path.abspath(p) for p in (args.data_dir, args.out, args.rcfile))
    try:
        return harvest(args)
    except HarvestError as exc:
        sys.stderr.write(f"coverage-spy harvest failed: {exc}\n")
        return EXIT_NO_DATA
    finally:
        if not args.live:
            # Also after a failed harvest: old runs must not fill the data volume run after run.
            prune_reports(os.path.dirname(args.out), args.keep, args.run_id, args.project, args.stack)
            prune_volume(os.path.join(args.data_dir, RUNS), args.keep, args.run_id)
        # Root in the harvester (it prunes the data of old runs, whoever wrote it); the reports are the host user's.
        if args.owner is not None:
            give_to(args.out, args.owner)


if __name__ == "__main__":
    sys.exit(main())
