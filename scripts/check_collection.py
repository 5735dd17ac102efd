"""Checks of what the collection ships, run by scripts/test.sh.

  check_collection.py tarball TARBALL          the built collection: nothing development-only, everything a user needs,
                                               the licence text galaxy.yml promises, README's requirements as
                                               requirements.txt has them
  check_collection.py changelog                every module, plugin, role and playbook is in a release of
                                               changelogs/changelog.yaml or on its way to the next one
  check_collection.py ee INSTALLED CONTEXT     meta/execution-environment.yml of the installed collection: what
                                               ansible-builder introspects from it, and the build context
                                               `ansible-builder create` makes of it

Each prints what it checked and exits 1 with the reasons when something is wrong.
"""

import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(os.path.abspath(sys.executable))

# Nothing a user of the collection needs: the sandbox and its tests, benchmarks, CI and developer tooling.
FORBIDDEN = re.compile(r"""^(?:
      (?:sandbox|benchmarks|scripts|\.ci|\.venv[^/]*|\.build|\.sandbox[^/]*|\.pytest_cache
         |tests/output|tests/sandbox|tests/compat)(?:/|$)
    | (?:requirements-dev\.txt|Makefile|pytest\.ini|\.ansible-lint|\.gitignore|changelogs/\.plugin-cache\.yaml)$
    | .*(?:/|^)__pycache__/
    | .*\.(?:pyc|tar\.gz)$
    )""", re.X)
REQUIRED = ["MANIFEST.json", "COPYING", "README.md", "CHANGELOG.md", "requirements.txt", "bindep.txt",
            "meta/runtime.yml", "meta/execution-environment.yml", "changelogs/changelog.yaml",
            "changelogs/config.yaml", "docs/docsite/links.yml", "docs/docsite/extra-docs.yml"]
# sha256 of the GNU GPL version 3 text (https://www.gnu.org/licenses/gpl-3.0.txt, as Debian ships it).
GPL3_SHA256 = "3972dc9744f6499f0f9b2dbf76696f2ae7ad8af9b23dde66d6af86c9dfb36986"


def fail(problems):
    for problem in problems:
        print("  - " + problem, file=sys.stderr)
    sys.exit(1)


def check_tarball(path):
    with tarfile.open(path) as tar:
        names = [m.name.rstrip("/") for m in tar.getmembers()]
        licence = tar.extractfile("COPYING").read() if "COPYING" in names else b""
    problems = ["development-only file in the build: %s (add it to galaxy.yml build_ignore)" % n
                for n in names if FORBIDDEN.match(n)]
    problems += ["missing from the build: %s" % n for n in REQUIRED if n not in names]
    docs = [n for n in names if n.startswith("docs/docsite/rst/") and n.endswith(".rst")]
    if not docs:
        problems.append("no guide of docs/docsite/rst/ in the build")
    # README's Requirements names each requirement as requirements.txt has it, so the two cannot drift apart.
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    with open(os.path.join(ROOT, "requirements.txt"), encoding="utf-8") as fh:
        wanted = [line.split("#")[0].strip() for line in fh if line.split("#")[0].strip()]
    problems += ["README.md's Requirements does not name `%s` as requirements.txt does: update its table" % w
                 for w in wanted if "`%s`" % w not in readme]
    if hashlib.sha256(licence).hexdigest() != GPL3_SHA256:
        problems.append("COPYING is not the GPL-3.0 text that galaxy.yml's GPL-3.0-or-later promises")
    if problems:
        print("the built collection %s:" % os.path.basename(path), file=sys.stderr)
        fail(problems)
    print("%s: %d files, none development-only; COPYING is the GPL-3.0 text; %d guides"
          % (os.path.basename(path), len(names), len(docs)))


def _doc_of_module(path):
    with open(path, encoding="utf-8") as fh:
        source = fh.read()
    match = re.search(r'^DOCUMENTATION = r?"""(.*?)"""', source, re.S | re.M)
    return yaml.safe_load(match.group(1)) if match else {}


def _documented_plugins():
    """(kind, path, documentation) of every module and plugin that has documentation of its own."""
    for directory in sorted(glob.glob(os.path.join(ROOT, "plugins", "*"))):
        kind = os.path.basename(directory)
        if kind in ("module_utils", "plugin_utils", "doc_fragments") or not os.path.isdir(directory):
            continue
        kind = "module" if kind == "modules" else kind
        for path in sorted(glob.glob(os.path.join(directory, "*.py")) + glob.glob(os.path.join(directory, "*.yml"))):
            if os.path.basename(path).startswith("_"):
                continue
            if path.endswith(".py"):
                doc = _doc_of_module(path)
            else:
                with open(path, encoding="utf-8") as fh:
                    doc = (yaml.safe_load(fh) or {}).get("DOCUMENTATION") or {}
            if doc:  # a filter file documented by its .yml files has none of its own
                yield kind, path, doc


def _version(text):
    return tuple(int(p) for p in re.findall(r"\d+", str(text))[:3])


def check_changelog():
    with open(os.path.join(ROOT, "changelogs", "changelog.yaml"), encoding="utf-8") as fh:
        changes = yaml.safe_load(fh)
    releases = changes.get("releases") or {}
    last = max(releases, key=_version) if releases else "0.0.0"
    recorded = set()
    for release in releases.values():
        recorded |= set("module/" + m["name"] for m in release.get("modules", []))
        for kind, entries in (release.get("plugins") or {}).items():
            recorded |= set("%s/%s" % (kind, e["name"]) for e in entries)
        for kind, entries in (release.get("objects") or {}).items():
            recorded |= set("%s/%s" % (kind, e["name"]) for e in entries)
    announced = set()
    for fragment in glob.glob(os.path.join(ROOT, "changelogs", "fragments", "*.y*ml")):
        with open(fragment, encoding="utf-8") as fh:
            content = yaml.safe_load(fh) or {}
        for key, entries in content.items():
            match = re.match(r"add (?:plugin|object)\.(\w+)$", key)
            if match:
                announced |= set("%s/%s" % (match.group(1), e["name"]) for e in entries)

    problems = []
    shipped = []
    # antsibull-changelog release adds a module or plugin by itself when its version_added is the new release.
    for kind, path, doc in _documented_plugins():
        name = doc.get("name") or doc.get("module") or os.path.basename(path).rsplit(".", 1)[0]
        shipped.append("%s/%s" % (kind, name))
        added = str(doc.get("version_added", ""))
        if "%s/%s" % (kind, name) in recorded | announced:
            continue
        if not added:
            problems.append("%s %s has no version_added: set it to the next release" % (kind, name))
        elif added in releases:
            problems.append("%s %s (version_added %s) is missing from release %s of changelogs/changelog.yaml: add "
                            "{name: %s, description: <its short_description>, namespace: %s} under releases/%s/%s, "
                            "then run antsibull-changelog generate"
                            % (kind, name, added, added, name, "''" if kind == "module" else "null", added,
                               "modules" if kind == "module" else "plugins/" + kind))
        elif _version(added) <= _version(last):
            problems.append("%s %s has version_added %s, an earlier version than the last release %s that never was a "
                            "release: set version_added to the next release" % (kind, name, added, last))
    # Roles and playbooks are announced with a fragment ("add object.role" / "add object.playbook").
    for kind, names in (("role", sorted(os.listdir(os.path.join(ROOT, "roles")))),
                        ("playbook", sorted(os.path.basename(p)[:-4]
                                            for p in glob.glob(os.path.join(ROOT, "playbooks", "*.yml"))))):
        for name in names:
            shipped.append("%s/%s" % (kind, name))
            if "%s/%s" % (kind, name) not in recorded | announced:
                problems.append("%s %s is in no release of changelogs/changelog.yaml and no fragment announces it: add "
                                "changelogs/fragments/<change>.yml with 'add object.%s: [{name: %s, description: ...}]'"
                                % (kind, name, kind, name))
    if problems:
        print("the changelog does not record everything the collection ships:", file=sys.stderr)
        fail(problems)
    print("changelog: %d modules, plugins, roles and playbooks, each in a release (last %s) or on its way to the next"
          % (len(shipped), last))


def check_ee(installed, context):
    """The EE definition as ansible-builder reads it, from a collection installed under INSTALLED."""
    collection = os.path.join(installed, "ansible_collections", "aliasguard", "cloudfront")
    with open(os.path.join(collection, "meta", "execution-environment.yml"), encoding="utf-8") as fh:
        definition = yaml.safe_load(fh)
    problems = []
    if definition.get("version") != 3:
        problems.append("meta/execution-environment.yml is not in the ansible-builder v3 format (version: 3)")
    deps = definition.get("dependencies", {})
    if (deps.get("python"), deps.get("system")) != ("requirements.txt", "bindep.txt"):
        problems.append("dependencies.python/system must name requirements.txt and bindep.txt (relative to the "
                        "collection root, where ansible-builder introspect looks)")

    def lines(path):
        with open(path, encoding="utf-8") as fh:
            return [line.split("#")[0].strip() for line in fh if line.split("#")[0].strip()]

    python, system = lines(os.path.join(ROOT, "requirements.txt")), lines(os.path.join(ROOT, "bindep.txt"))

    # 1. Any EE that contains the collection: what ansible-builder finds in it.
    found = yaml.safe_load(subprocess.run([os.path.join(BIN, "ansible-builder"), "introspect", installed],
                                          check=True, capture_output=True, text=True).stdout)
    for kind, want in (("python", python), ("system", system)):
        got = [line.split("#")[0].strip() for line in found.get(kind) or []]
        if got != want:
            problems.append("ansible-builder introspect found %s dependencies %s, not %s" % (kind, got, want))

    # 2. An image of this collection: the build context of its own definition, given from the collection root.
    definition_file = os.path.join(collection, "execution-environment.yml")
    shutil.copyfile(os.path.join(collection, "meta", "execution-environment.yml"), definition_file)
    subprocess.run([os.path.join(BIN, "ansible-builder"), "create", "--file", definition_file, "--context", context,
                    "--output-filename", "Containerfile"], check=True, capture_output=True, text=True)
    containerfile = os.path.join(context, "Containerfile")
    if not os.path.isfile(containerfile):
        fail(problems + ["ansible-builder create wrote no %s" % containerfile])
    with open(containerfile, encoding="utf-8") as fh:
        text = fh.read()
    for wanted in ('ARG EE_BASE_IMAGE="%s"' % definition["images"]["base_image"]["name"],
                   'ARG PYCMD="%s"' % deps["python_interpreter"]["python_path"],
                   deps["ansible_core"]["package_pip"], deps["ansible_runner"]["package_pip"],
                   "COPY _build/requirements.txt requirements.txt", "COPY _build/bindep.txt bindep.txt",
                   "--user-pip=requirements.txt --user-bindep=bindep.txt", "-r requirements.yml"):
        if wanted not in text:
            problems.append("the Containerfile does not have %r" % wanted)
    for name, want in (("requirements.txt", python), ("bindep.txt", system)):
        path = os.path.join(context, "_build", name)
        if not os.path.isfile(path) or lines(path) != want:
            problems.append("the build context's _build/%s is not the collection's %s" % (name, name))
    with open(os.path.join(context, "_build", "requirements.yml"), encoding="utf-8") as fh:
        if "aliasguard.cloudfront" not in [c["name"] for c in yaml.safe_load(fh)["collections"]]:
            problems.append("the build context's galaxy requirements do not install aliasguard.cloudfront")
    for script in ("introspect.py", "assemble", "install-from-bindep", "check_ansible", "entrypoint"):
        if not os.path.isfile(os.path.join(context, "_build", "scripts", script)):
            problems.append("the build context has no _build/scripts/%s" % script)
    if problems:
        print("the execution environment:", file=sys.stderr)
        fail(problems)
    base_image = definition["images"]["base_image"]["name"]
    print("execution environment: introspection finds %d Python and %d system requirements; the build context "
          "(Containerfile, _build/) installs them on %s" % (len(python), len(system), base_image))


def main(argv):
    if argv[:1] == ["tarball"] and len(argv) == 2:
        check_tarball(argv[1])
    elif argv == ["changelog"]:
        check_changelog()
    elif argv[:1] == ["ee"] and len(argv) == 3:
        check_ee(argv[1], argv[2])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
