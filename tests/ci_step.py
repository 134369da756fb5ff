#!/usr/bin/env python3
"""ci_step.py - the CI files of ci/ as the tests read them.

  ci_step.py --lint FILE...          parse each (YAML) and check its shape: a GitHub workflow
                                     has `on` and jobs with runs-on and steps, each step uses
                                     an action or runs a script that `bash -n` accepts; a
                                     GitLab file has jobs with a script whose lines `bash -n`
                                     accepts.  Prints one line per file; exit 1 on the first
                                     problem, naming the file and what is wrong.
  ci_step.py FILE JOB STEP           print the `run` script of the step named STEP of JOB (a
                                     GitHub workflow), for a test to run it as the CI would.
"""
import subprocess
import sys

import yaml


def fail(path, what):
    print(f"{path}: {what}")
    sys.exit(1)


def shell_ok(path, where, text):
    r = subprocess.run(["bash", "-n"], input=text, text=True, capture_output=True)
    if r.returncode:
        fail(path, f"{where}: bash -n: {r.stderr.strip()}")


def flatten(script):
    for line in script:
        if isinstance(line, list):
            yield from flatten(line)
        else:
            yield line


def lint_github(path, doc):
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    if not on:
        fail(path, "no `on:` (what starts the workflow)")
    jobs = doc.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        fail(path, "no jobs")
    for name, job in jobs.items():
        if "runs-on" not in job or not isinstance(job.get("steps"), list):
            fail(path, f"job {name}: needs runs-on and steps")
        for i, step in enumerate(job["steps"]):
            if ("uses" in step) == ("run" in step):
                fail(path, f"job {name}, step {i + 1}: either uses or run")
            if "run" in step:
                shell_ok(path, f"job {name}, step {step.get('name', i + 1)}", step["run"])
        for need in job.get("needs", []) if isinstance(job.get("needs"), list) else [job.get("needs")] if job.get("needs") else []:
            if need not in jobs:
                fail(path, f"job {name} needs {need}, which is not a job")
    return len(jobs)


def lint_gitlab(path, doc):
    jobs = {k: v for k, v in doc.items() if not k.startswith(".") and k not in ("stages", "variables", "default", "include", "workflow")}
    if not jobs:
        fail(path, "no jobs")
    stages = doc.get("stages")
    for name, job in jobs.items():
        if not isinstance(job, dict) or not isinstance(job.get("script"), list):
            fail(path, f"job {name}: needs a script")
        if stages and job.get("stage", "test") not in stages:
            fail(path, f"job {name}: stage {job.get('stage')} is not among {stages}")
        shell_ok(path, f"job {name}", "\n".join(flatten(job["script"])))
        for need in job.get("needs", []):
            if need not in jobs:
                fail(path, f"job {name} needs {need}, which is not a job")
    return len(jobs)


def main(argv):
    if len(argv) > 1 and argv[1] == "--lint":
        for path in argv[2:]:
            try:
                with open(path) as f:
                    doc = yaml.safe_load(f)
            except (OSError, yaml.YAMLError) as e:
                fail(path, f"not YAML: {e}")
            if not isinstance(doc, dict):
                fail(path, "not a mapping at the top")
            n = lint_github(path, doc) if "jobs" in doc else lint_gitlab(path, doc)
            print(f"{path}: ok, {n} job{'s' if n != 1 else ''}")
        return 0
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        doc = yaml.safe_load(f)
    for step in doc["jobs"][argv[2]]["steps"]:
        if step.get("name") == argv[3]:
            sys.stdout.write(step["run"])
            return 0
    print(f"{argv[1]}: job {argv[2]} has no step named {argv[3]!r}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
