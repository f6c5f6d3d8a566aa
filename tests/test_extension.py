"""The extension path, end to end: a throwaway package is scaffolded, installed onto a
path, discovered through its entry point, passes the conformance kit, and appears in
a harness run. Everything runs in subprocesses, as a user's shell would."""

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from impls.scaffold import scaffold

ROOT = Path(__file__).resolve().parents[1]


def install_onto_path(project: Path, site: Path) -> None:
    """What ``pip install`` leaves on sys.path: the package, and a dist-info whose
    entry_points.txt comes from the project's own pyproject.toml."""
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    dist = meta["name"].replace("-", "_")
    for package in project.iterdir():
        if (package / "__init__.py").exists():
            (site / package.name).mkdir(parents=True)
            for source in package.glob("*.py"):
                (site / package.name / source.name).write_text(source.read_text())
    info = site / f"{dist}-{meta['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n")
    lines = []
    for group, entries in meta.get("entry-points", {}).items():
        lines.append(f"[{group}]")
        lines += [f"{key} = {value}" for key, value in entries.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")


def run(args, site: Path, cwd: Path, timeout=300):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(ROOT)]))
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def installed(tmp_path):
    project = scaffold("throwaway", tmp_path / "src")
    site = tmp_path / "site"
    install_onto_path(project, site)
    return site, tmp_path


def test_an_installed_package_is_discovered_through_its_entry_point(installed):
    site, cwd = installed
    out = run(["-c", "import impls; print(impls.names())"], site, cwd)
    assert out.returncode == 0, out.stderr
    assert "'throwaway'" in out.stdout and "'heap'" in out.stdout


# The whole kit, in a subprocess: minutes on a busy 2-core machine. The session's 120 s
# guard is for hangs; this test's own is longer, so its outcome does not depend on the load.
@pytest.mark.timeout(900)
def test_the_scaffolded_loop_passes_the_conformance_kit(installed):
    site, cwd = installed
    out = run(["-m", "pytest", "--pyargs", "impls.conformance", "--impl", "throwaway", "-q",
               "-p", "no:cacheprovider"], site, cwd)
    assert out.returncode == 0, out.stdout[-3000:]
    summary = out.stdout.strip().splitlines()[-1]
    assert "passed" in summary and "failed" not in summary and "skipped" not in summary
    # The whole kit ran on it: as many tests as the kit has for a built-in.
    collected = run(["-m", "pytest", "--pyargs", "impls.conformance", "--impl", "heap", "--collect-only",
                     "-q", "-p", "no:cacheprovider"], site, cwd).stdout.strip().splitlines()[-1]
    assert int(summary.split(" passed")[0].split()[-1]) == int(collected.split()[0]) > 50


def test_the_kit_checks_io_on_a_plugin_loop_that_declares_it(installed):
    site, cwd = installed
    out = run(["-m", "pytest", "--pyargs", "impls.conformance", "--impl", "throwaway", "-q",
               "-p", "no:cacheprovider", "-k", "contract_io"], site, cwd)
    assert out.returncode == 0, out.stdout[-3000:]
    summary = out.stdout.strip().splitlines()[-1]
    assert "skipped" not in summary and int(summary.split(" passed")[0].split()[-1]) >= 25
    # Its I/O broken (a removed reader's handle still runs): clause 12 names it.
    loop_py = site / "loopbench_throwaway" / "loop.py"
    loop_py.write_text(loop_py.read_text().replace("        return self._io.unwatch(fd, kind)",
                                                   "        self._io.unwatch(fd, kind)"))
    out = run(["-m", "pytest", "--pyargs", "impls.conformance", "--impl", "throwaway", "-q",
               "-p", "no:cacheprovider", "-k", "removed_while"], site, cwd)
    assert out.returncode == 1
    assert "broke contract clause 12" in out.stdout


def test_a_broken_loop_fails_with_the_clause_it_broke(installed):
    site, cwd = installed
    # A LIFO "ready queue": breaks clause 1 (call_soon is FIFO).
    loop_py = site / "loopbench_throwaway" / "loop.py"
    loop_py.write_text(loop_py.read_text().replace("handle = ready.popleft()", "handle = ready.pop()"))
    out = run(["-m", "pytest", "--pyargs", "impls.conformance", "--impl", "throwaway", "-q",
               "-p", "no:cacheprovider", "-k", "fifo_order"], site, cwd)
    assert out.returncode == 1
    assert "implementation 'throwaway' broke contract clause 1" in out.stdout


def test_the_installed_loop_appears_in_a_harness_run(installed):
    site, cwd = installed
    out_dir = cwd / "run"
    out = run(["-m", "harness", "run", "--runtimes", "throwaway,heap", "--scenarios",
               "timers.slides,callbacks.fifo", "--repeat", "2", "--out", str(out_dir)], site, ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    records = [json.loads(line) for line in (out_dir / "results.jsonl").read_text().splitlines()]
    mine = {r["scenario"]: r for r in records if r["runtime"] == "throwaway"}
    assert mine["timers.slides"]["status"] == "pass" and mine["callbacks.fifo"]["status"] == "pass"
    assert mine["timers.slides"]["family"] == "loopbench"


def test_a_broken_plugin_is_reported_and_skipped(tmp_path):
    site = tmp_path / "site"
    info = site / "loopbench_bad-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: loopbench-bad\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[loopbench.impls]\nbad = no_such_module:Loop\n")
    out = run(["-c", "import impls; print(impls.names())"], site, tmp_path)
    assert out.returncode == 0
    assert "'heap'" in out.stdout and "'bad'" not in out.stdout
    assert "cannot load implementation 'bad'" in out.stderr


def test_scaffold_refuses_bad_names_and_overwrites(tmp_path):
    with pytest.raises(ValueError):
        scaffold("Not Valid", tmp_path)
    scaffold("mine", tmp_path)
    with pytest.raises(FileExistsError):
        scaffold("mine", tmp_path)


def test_the_scaffold_depends_on_loopbenchs_own_distribution_not_the_namesake(tmp_path):
    """"loopbench" on the package index is another project: a scaffolded package must name ours."""
    import impls

    ours = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    assert ours == impls.DISTRIBUTION != "loopbench"
    meta = tomllib.loads((scaffold("mine", tmp_path) / "pyproject.toml").read_text())["project"]
    assert meta["dependencies"] == [f"{impls.DISTRIBUTION}[kit]"]
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert {"hypothesis", "pytest-timeout"} <= {req.split(">")[0] for req in extras["kit"]}
