"""Sum the CPU seconds that tests/conftest.py records (ALIASGUARD_CPU_REPORT=FILE) by test file.

Usage: .venv/bin/python scripts/cpu_report.py FILE [FILE...]   (several files: one column each, e.g. before and after)
"""

import collections
import json
import sys


def by_file(path):
    sums = collections.defaultdict(lambda: [0.0, 0.0, 0.0, 0.0, 0])
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            entry = json.loads(line)
            row = sums[entry["file"]]
            row[0] += entry["own"]
            row[1] += entry["children"]
            row[2] += entry["sandbox"]
            row[3] += entry["wall"]
            row[4] += 1
    return sums


def main(paths):
    tables = [by_file(p) for p in paths]
    files = sorted(set().union(*tables), key=lambda f: -sum(t[f][0] + t[f][1] + t[f][2] for t in tables if f in t))
    heading = "%7s %7s %7s %7s %7s %4s" % ("own", "child", "sandbox", "total", "wall", "n")
    print("%-58s %s" % ("file", "  ".join(heading for unused in tables)))
    totals = [[0.0] * 5 for unused in tables]
    for name in files:
        cells = []
        for table, total in zip(tables, totals):
            own, child, sandbox, wall, n = table.get(name, [0.0, 0.0, 0.0, 0.0, 0])
            cells.append("%7.1f %7.1f %7.1f %7.1f %7.1f %4d" % (own, child, sandbox, own + child + sandbox, wall, n))
            for i, value in enumerate((own, child, sandbox, wall, n)):
                total[i] += value
        print("%-58s %s" % (name[-58:], "  ".join(cells)))
    print("%-58s %s" % ("TOTAL", "  ".join("%7.1f %7.1f %7.1f %7.1f %7.1f %4d" % (
        t[0], t[1], t[2], t[0] + t[1] + t[2], t[3], t[4]) for t in totals)))


if __name__ == "__main__":
    main(sys.argv[1:])
