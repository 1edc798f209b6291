"""Reproducible installs: the lock files pin every dependency of pyproject.toml with its hashes, the
installs use them (``pip install --require-hashes -r …lock``, then Oblik with ``--no-deps``), and the
environment the suite runs in is the locked one — so the versions that passed CI are the versions
installed. After a change of a dependency in pyproject.toml: ``make lock``."""
import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
HINT = " — run `make lock` after changing the dependencies in pyproject.toml"


def read_lock(name: str) -> dict:
    """{canonical name: (version, [hashes])} of a lock file; every requirement line must be a pin."""
    pins, current = {}, None
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if line[0].isspace():
            match = re.match(r"--hash=sha256:([0-9a-f]{64})\s*\\?$", stripped)
            assert match and current, f"{name}: not a hash line: {line!r}"
            pins[current][1].append(match.group(1))
            continue
        match = PIN.match(stripped)
        assert match, f"{name}: not a pinned requirement: {line!r}"
        current = canonicalize_name(match.group(1))
        pins[current] = (match.group(2), [])
    return pins


def _requirements(strings):
    return [Requirement(s) for s in strings]


RUNTIME = _requirements(PYPROJECT["project"]["dependencies"])
# every extra (test, bench…): make lock compiles them all into requirements-test.lock
TEST = _requirements([r for extra in PYPROJECT["project"]["optional-dependencies"].values() for r in extra])
BUILD = _requirements(PYPROJECT["build-system"]["requires"])


def _extras_of(requirement):
    """The names an extra (``celery[redis]``) adds, from the installed distribution's metadata."""
    try:
        requires = metadata.requires(requirement.name) or []
    except metadata.PackageNotFoundError:
        return set()
    names = set()
    for extra in requirement.extras:
        for text in requires:
            dep = Requirement(text)
            if dep.marker and dep.marker.evaluate({"extra": extra}) and not dep.marker.evaluate({"extra": ""}):
                names.add(canonicalize_name(dep.name))
    return names


def test_every_pin_carries_hashes_and_nothing_of_this_machine():
    for name in ("requirements.lock", "requirements-test.lock", "requirements-build.lock"):
        pins = read_lock(name)
        assert pins, name
        unhashed = sorted(p for p, (_, hashes) in pins.items() if not hashes)
        assert not unhashed, f"{name}: pins without hashes: {unhashed}{HINT}"
        text = (ROOT / name).read_text(encoding="utf-8")
        assert not re.search(r"file://|/tmp/|/opt/|--index-url|--extra-index-url|--find-links", text), name


def test_the_locks_cover_every_dependency_of_pyproject_within_its_range():
    for lock, requirements in (("requirements.lock", RUNTIME), ("requirements-test.lock", RUNTIME + TEST),
                               ("requirements-build.lock", BUILD)):
        pins = read_lock(lock)
        missing = [str(r) for r in requirements if canonicalize_name(r.name) not in pins]
        assert not missing, f"{lock} lacks {missing}{HINT}"
        outside = [f"{r} (locked {pins[canonicalize_name(r.name)][0]})" for r in requirements
                   if not r.specifier.contains(pins[canonicalize_name(r.name)][0], prereleases=True)]
        assert not outside, f"{lock}: pins outside pyproject's ranges: {outside}{HINT}"
        for requirement in requirements:
            lacking = _extras_of(requirement) - set(pins)
            assert not lacking, f"{lock}: {requirement} needs {sorted(lacking)}{HINT}"
    runtime, test = read_lock("requirements.lock"), read_lock("requirements-test.lock")
    differ = {n: (v, test[n][0]) for n, (v, _) in runtime.items() if n in test and test[n][0] != v}
    assert not differ, f"the runtime and the test locks pin different versions: {differ}{HINT}"
    assert "build" in read_lock("requirements-build.lock")


def test_the_build_input_is_pyproject_build_system():
    lines = [line for line in (ROOT / "requirements-build.in").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines == ["build", *PYPROJECT["build-system"]["requires"]], f"requirements-build.in is stale{HINT}"


def test_the_installs_use_the_locks():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install -q --require-hashes -r requirements-test.lock" in makefile
    assert "pip install -q --no-deps -e ." in makefile
    assert not re.search(r"pip install [^\n]*'\.\[test\]'", makefile)
    assert re.search(r"^lock:", makefile, re.MULTILINE) and "--generate-hashes" in makefile
    wheel = (ROOT / "scripts" / "ci-wheel.sh").read_text(encoding="utf-8")
    assert '--require-hashes -r "$SRC/requirements.lock"' in wheel
    assert '--require-hashes -r "$SRC/requirements-build.lock"' in wheel
    assert '--no-deps "$WHEEL"' in wheel
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "--require-hashes -r requirements.lock" in readme and "--no-deps" in readme


def test_the_running_environment_is_the_locked_one():
    """What the suite runs on is what the lock installs (``make test`` installs from it)."""
    differ = {}
    for name, (version, _) in read_lock("requirements-test.lock").items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            differ[name] = (version, None)
            continue
        if installed != version:
            differ[name] = (version, installed)
    assert not differ, f"locked → installed: {differ} (make install, or {HINT[3:]})"
