"""Pass counts of outside planner suite runs (the JSONL lines ../shared/suites/run.py writes),
per suite and per category, the tools side by side.

usage: suite_summary.py LABEL=TOOL=results.jsonl ...   (LABEL: the suite as run, e.g. sqldef/4)

A pass is the runner's (catalog equal and an empty second plan, or a refusal the suite
expects); a strict pass is a pass the independent pg_dump judge agrees with (texts equal, or
the same lines in another order). Invalid cases (SQL that does not load on the server) are
left out of every count.
"""
import collections
import json
import sys


def strict(r):
    return r["outcome"] == "pass" and (r.get("expected_refusal") or r.get("dump_equal") or r.get("dump_order_only"))


def tally(rows):
    usable = [r for r in rows if r["outcome"] != "invalid-case"]
    outcomes = collections.Counter(r["outcome"] for r in usable)
    return len(usable), outcomes["pass"], sum(1 for r in usable if strict(r)), outcomes


def share(n, of):
    return f"{n} ({100 * n / of:.1f}%)" if of else "-"


def main(args):
    runs = []
    for arg in args:
        label, tool, path = arg.split("=", 2)
        with open(path) as f:
            runs.append((label, tool, [json.loads(line) for line in f if line.strip()]))
    others = ["refused", "apply-failed", "differs", "tool-error", "timeout", "harness-error"]
    print(f"{'suite':<12} {'tool':<11} {'usable':>6}  {'pass':>14}  {'strict':>14}  " + "  ".join(others))
    for label, tool, rows in runs:
        usable, passed, strictly, outcomes = tally(rows)
        print(f"{label:<12} {tool:<11} {usable:>6}  {share(passed, usable):>14}  {share(strictly, usable):>14}  "
              + "  ".join(f"{outcomes[o]:>{len(o)}}" for o in others))
    print("\nper category: usable, then pass/strict for each tool run on the suite")
    suites = collections.OrderedDict()
    for label, tool, rows in runs:
        suites.setdefault(label, []).append((tool, rows))
    for label, tools in suites.items():
        categories = sorted({r.get("category") or "-" for _, rows in tools for r in rows})
        print(f"\n{label}: " + ", ".join(tool for tool, _ in tools))
        for category in categories:
            cells, usable = [], 0
            for tool, rows in tools:
                n, passed, strictly, _ = tally([r for r in rows if (r.get("category") or "-") == category])
                usable = max(usable, n)
                cells.append(f"{tool} {passed}/{strictly}")
            if usable:
                print(f"  {category:<32} {usable:>4}  " + "   ".join(cells))


if __name__ == "__main__":
    main(sys.argv[1:])
