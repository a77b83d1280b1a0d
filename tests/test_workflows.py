"""The GitHub Actions workflows, checked here since they cannot run here.

check-jsonschema (pinned in requirements-site.txt, installed in .venv-site by `make site`)
validates each file against the GitHub workflow schema it ships (no network); the rest reads
the YAML for what the course needs: `make test` runs, the website is built and published to
GitHub Pages from main only, every action is pinned to a version, every job has a timeout.
"""

import pathlib
import subprocess

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
CHECKER = ROOT / ".venv-site" / "bin" / "check-jsonschema"
CI = ROOT / ".github" / "workflows" / "ci.yml"

needs_checker = pytest.mark.skipif(
    not CHECKER.exists(),
    reason="workflow schema check NOT RUN: .venv-site/bin/check-jsonschema is missing "
           "(`make site` installs it; `make test` runs that first)")


def validate(path):
    return subprocess.run([str(CHECKER), "--builtin-schema", "vendor.github-workflows",
                           str(path)], capture_output=True, text=True)


def load(path):
    # YAML 1.1 reads the key `on` as True: take it back.
    data = yaml.safe_load(path.read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps(job):
    return job.get("steps", [])


@needs_checker
@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_the_github_schema(path):
    result = validate(path)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_checker
def test_the_schema_check_catches_a_broken_workflow(tmp_path):
    """A misspelt key and a job without runs-on fail: the check is not a no-op."""
    broken = tmp_path / "broken.yml"
    broken.write_text(CI.read_text().replace("runs-on: ubuntu-24.04", "run-on: ubuntu-24.04", 1))
    assert validate(broken).returncode != 0


def test_ci_runs_make_test_and_publishes_the_site():
    workflow = load(CI)
    assert set(workflow["on"]) >= {"push", "pull_request"}
    jobs = workflow["jobs"]
    runs = [s.get("run", "") for job in jobs.values() for s in steps(job)]
    assert any(r.strip() in ("make test", "bash .ci/run") for r in runs), runs
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "site" in (ROOT / "Makefile").read_text().split("\ntest:")[1].splitlines()[0], \
        "make test must build the website (make site) before testing it"
    uploads = [s for job in jobs.values() for s in steps(job)
               if s.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert [u["with"]["path"] for u in uploads] == ["build/site/_build/html"]
    deploy = jobs["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert "refs/heads/main" in deploy["if"] and "push" in deploy["if"]
    assert [s["uses"].split("@")[0] for s in steps(deploy)] == ["actions/deploy-pages"]
    assert workflow["permissions"] == {"contents": "read"}, "least privilege by default"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_and_jobs_time_out(path):
    for name, job in load(path)["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), f"job {name} has no timeout"
        for step in steps(job):
            if "uses" in step:
                action, _, version = step["uses"].partition("@")
                assert version.startswith("v") or len(version) == 40, \
                    f"{path.name}: {action} is not pinned to a version"
