"""ansible-playbook, exactly, with the AnsiballZ cache shared by the runs of one test session.

ansible-playbook builds each module's AnsiballZ payload (the module and every module_util it imports,
found by parsing them all) once per process, in a cache under its own temporary directory that it
removes when it ends. A test session runs hundreds of ansible-playbook processes over the same
unchanged modules, so it rebuilt the same payloads hundreds of times: about a quarter of the CPU of a
one-task run. Here that cache lives in ALIASGUARD_ANSIBALLZ_CACHE instead, in a subdirectory keyed by
the ansible-core version, the Python, the collections path and every collection file's size and
mtime, so a payload is reused only when nothing it could contain has changed. Everything else is
ansible-playbook itself: its own main(), argv, environment and exit status.
"""

import hashlib
import os
import sys


def _cache_key():
    import ansible

    digest = hashlib.sha256()
    digest.update(("%s\0%s\0" % (ansible.__version__, sys.executable)).encode())
    roots = os.environ.get("ANSIBLE_COLLECTIONS_PATH", os.environ.get("ANSIBLE_COLLECTIONS_PATHS", ""))
    for root in sorted(filter(None, roots.split(os.pathsep))):
        digest.update(root.encode() + b"\0")
        base = os.path.join(root, "ansible_collections")
        for namespace in sorted(os.listdir(base)) if os.path.isdir(base) else ():
            for name in sorted(os.listdir(os.path.join(base, namespace))):
                plugins = os.path.realpath(os.path.join(base, namespace, name, "plugins"))
                for directory, subdirs, files in os.walk(plugins):
                    subdirs.sort()
                    for file_name in sorted(files):
                        path = os.path.join(directory, file_name)
                        try:
                            info = os.stat(path)
                        except OSError:
                            continue
                        digest.update(("%s\0%d\0%d\0" % (path, info.st_size, info.st_mtime_ns)).encode())
    return digest.hexdigest()[:16]


def main():
    shared = os.environ.get("ALIASGUARD_ANSIBALLZ_CACHE")
    sys.argv[0] = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    from ansible.cli.playbook import main as ansible_playbook

    if shared:
        from ansible.executor import module_common

        # module_common, and nothing else, keeps its payloads under C.DEFAULT_LOCAL_TMP/ansiballz_cache: it
        # alone sees the shared directory; everything else ansible-playbook keeps in its own temporary
        # directory stays there (and is removed as before). Ansible writes a payload to a temporary name
        # and renames it, under a lock, so concurrent runs share the cache safely (as its forks do).
        local_tmp = os.path.join(shared, _cache_key())
        os.makedirs(os.path.join(local_tmp, "ansiballz_cache"), mode=0o700, exist_ok=True)
        module_common.C = _Constants(module_common.C, local_tmp)
    return ansible_playbook()


class _Constants:
    """ansible.constants as module_common sees it: the same, but for DEFAULT_LOCAL_TMP."""

    def __init__(self, constants, local_tmp):
        self._constants = constants
        self.DEFAULT_LOCAL_TMP = local_tmp

    def __getattr__(self, name):
        return getattr(self._constants, name)


if __name__ == "__main__":
    sys.exit(main())
