"""Pre-flight: the machine's state read from /proc and /sys, and the advice it gives."""

from harness.execution import preflight


def fake_machine(tmp_path, load, governor=None):
    proc, sys_cpu = tmp_path / "proc", tmp_path / "cpu"
    proc.mkdir()
    (proc / "loadavg").write_text(f"{load} 1.00 1.00 1/100 999\n")
    if governor:
        (sys_cpu / "cpu0" / "cpufreq").mkdir(parents=True)
        (sys_cpu / "cpu0" / "cpufreq" / "scaling_governor").write_text(governor + "\n")
    return proc, sys_cpu


def test_a_busy_machine_and_a_slow_governor_are_warned_about(tmp_path, monkeypatch):
    monkeypatch.setattr(preflight.os, "cpu_count", lambda: 2)
    proc, sys_cpu = fake_machine(tmp_path, 5.5, "powersave")
    reading = preflight.read(sample_s=0.0, proc=proc, sys_cpu=sys_cpu)
    assert reading.load_1min == 5.5 and reading.governors == ["powersave"]
    text = " ".join(reading.warnings)
    assert "load average 5.50 on 2 cores" in text and "powersave" in text and "performance" in text
    assert reading.as_dict()["warnings"] == reading.warnings


def test_a_quiet_machine_gets_no_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(preflight.os, "cpu_count", lambda: 2)
    proc, sys_cpu = fake_machine(tmp_path, 0.1, "performance")
    assert preflight.read(sample_s=0.0, proc=proc, sys_cpu=sys_cpu).warnings == []


def test_busy_processes_are_named():
    reading = preflight.Reading(cores=2, load_1min=0.1,
                                busy_processes=[{"pid": 42, "name": "cc1plus", "share": 0.9}])
    assert preflight.advice(reading) == ["process 42 (cc1plus) is using 90% of a core."]


def test_an_unsteady_machine_is_warned_about_and_a_steady_one_is_not():
    unsteady = preflight.Reading(cores=2, load_1min=0.0,
                                 steadiness={"runs": 900, "median_us": 800.0, "fastest": 0.7, "slowest": 1.2,
                                             "spread": 0.3})
    (warning,) = preflight.advice(unsteady)
    assert "0.70x to 1.20x" in warning and "intervals will be wide" in warning
    steady = preflight.Reading(cores=2, load_1min=0.0,
                               steadiness={"runs": 900, "median_us": 800.0, "fastest": 0.98, "slowest": 1.03,
                                           "spread": 0.03})
    assert preflight.advice(steady) == []


def test_the_steadiness_probe_times_the_same_work_many_times():
    reading = preflight.steadiness(0.2)
    assert reading["runs"] >= 10 and reading["fastest"] <= 1.0 <= reading["slowest"]
    assert reading["spread"] == max(1 - reading["fastest"], reading["slowest"] - 1)
