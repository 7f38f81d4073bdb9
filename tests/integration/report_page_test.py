#!/usr/bin/env python3
"""report.html in headless Chromium (DESIGN.md section 5).

Generates a corpus with ct-gen, writes the reports with two runs
(`ct-coordinator reduce` and `ct-coordinator run --once`), opens report.html
from disk in Debian's chromium and checks that
  - nothing was logged to the console and no script error was raised;
  - the page's own self-check (#selfcheck) says every chart drew data;
  - every number the page shows equals summary.json's, and the embedded data
    holds summary.json itself.
The screenshot is kept as ARTIFACTS/report-screenshot.png. Without chromium
the test fails: CI installs it (deploy/install-deps.sh).

  report_page_test.py --bin-dir BUILD/bin --artifacts DIR
"""
import argparse
import html.parser
import json
import os
import shutil
import subprocess
import sys
import tempfile

AS_OF = "2026-11-26"
EARLIER_AS_OF = "2026-11-19"
# The numbers the page shows outside its tables, by summary.json path.
SUMMARY_KEYS = [
    "as_of", "totals.certs_active", "totals.fqdns_active", "totals.regdomains_active",
    "totals.wildcards_active", "directories.active", "directories.mapped",
    "directories.failed", "errors.unparseable_blocks", "errors.skipped_files",
    "errors.invalid_date_directories",
]
COUNTS = ["certs_active", "fqdns_active", "regdomains_active", "wildcards_active"]

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def run(argv, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, timeout=300, **kwargs)
    if result.returncode != 0:
        sys.exit("FAILED: %s exited %d\n%s%s" % (" ".join(argv), result.returncode,
                                                 result.stdout, result.stderr))
    return result


class PageReader(html.parser.HTMLParser):
    """The page's data-key values, table rows, self-check and embedded data."""

    def __init__(self):
        super().__init__()
        self.values = {}      # data-key -> text, outside tables
        self.tables = {}      # table id -> {row data-id: {data-key: text}}
        self.selfcheck = None
        self.data_text = ""
        self._table = self._row = self._key = None
        self._in_data = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(a.get("id"), {})
        elif tag == "tr" and self._table is not None and "data-id" in a:
            self._row = self._table.setdefault(a["data-id"], {})
        elif "data-key" in a:
            self._key = a["data-key"]
            target = self._row if self._row is not None else self.values
            target[self._key] = ""
        if a.get("id") == "selfcheck":
            self.selfcheck = a
        if tag == "script" and a.get("id") == "report-data":
            self._in_data = True

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag == "tr":
            self._row = None
        elif tag == "script":
            self._in_data = False
        if tag in ("td", "dd", "div", "span"):
            self._key = None

    def handle_data(self, data):
        if self._in_data:
            self.data_text += data
        elif self._key is not None:
            target = self._row if self._row is not None else self.values
            target[self._key] += data


def lookup(summary, path):
    value = summary
    for part in path.split("."):
        value = value[part]
    return value


def shown(value):
    """What the page shows for a summary value: numbers with thousands commas."""
    if isinstance(value, list):
        value = len(value)
    return "{:,}".format(value) if isinstance(value, int) else str(value)


def chromium_binary():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("FAILED: chromium is not installed; deploy/install-deps.sh installs it "
             "(this test fails rather than skips without it)")


def open_in_chromium(browser, page, profile, extra):
    argv = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--user-data-dir=" + profile, "--hide-scrollbars", "--window-size=1200,1900",
            "--virtual-time-budget=10000", "--enable-logging=stderr", "--v=0"]
    return run(argv + extra + ["file://" + page])


def console_lines(stderr):
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--artifacts", required=True)
    args = parser.parse_args()
    browser = chromium_binary()
    tmp = tempfile.mkdtemp(prefix="report_page_test.")
    try:
        root = os.path.join(tmp, "root")
        binary = lambda name: os.path.join(args.bin_dir, name)
        run([binary("ct-gen"), "--out", root, "--certs", "2500", "--seed", "5", "--first-date",
             "2026-08-01", "--days", "200", "--as-of", AS_OF, "--edge-cases"])
        run([binary("ct-coordinator"), "reduce", "--data-dir", root, "--as-of", EARLIER_AS_OF,
             "--threads", "2"])
        run([binary("ct-coordinator"), "run", "--data-dir", root, "--as-of", AS_OF,
             "--local-workers", "2", "--once", "--heartbeat-ms", "100"])
        reports = os.path.join(root, "reports")
        page = os.path.join(reports, "report.html")
        with open(os.path.join(reports, "summary.json")) as f:
            summary = json.load(f)

        dom = open_in_chromium(browser, page, os.path.join(tmp, "profile-dom"), ["--dump-dom"])
        check(not console_lines(dom.stderr),
              "console output: %s" % "\n".join(console_lines(dom.stderr)))
        reader = PageReader()
        reader.feed(dom.stdout)

        # The self-check: no errors, every chart drew data.
        sc = reader.selfcheck or {}
        check(sc.get("data-status") == "ok", "self-check status %r: %r" % (sc.get("data-status"), sc))
        check(json.loads(sc.get("data-errors", "[]")) == [], "page errors: %s" % sc.get("data-errors"))
        charts = json.loads(sc.get("data-charts", "[]"))
        check([c["name"] for c in charts] == ["active", "issued", "lifetime"], "charts: %r" % charts)
        for c in charts:
            check(c["points"] > 0 and c["drawn"] > 0 and c["pixels"] > 100,
                  "chart %s drew no data: %r" % (c["name"], c))
        issued = sum(d["certs_issued"] for d in summary["issued_per_day"])
        check(any(c.get("issued_total") == issued for c in charts),
              "issued chart total != summary.json's %d: %r" % (issued, charts))

        # The lifetime chart ends on the as-of day, at most at summary.json's
        # counts (the back-fill leaves out certificates whose notBefore is
        # after as-of), and equals lifetime-daily-stats.tsv row by row.
        lifetime = next((c for c in charts if c["name"] == "lifetime"), {}).get("last") or {}
        want = summary["totals"]["breakdowns"]["lifetime"]
        check(lifetime.get("date") == AS_OF and sorted(lifetime.get("counts", {})) == sorted(want)
              and all(lifetime["counts"][k] <= want[k] for k in want),
              "lifetime chart's last day %r, summary.json's %r" % (lifetime, want))
        embedded = json.loads(reader.data_text)["lifetime"]
        with open(os.path.join(reports, "lifetime-daily-stats.tsv")) as f:
            rows = [line.rstrip("\n").split("\t") for line in f]
        check(rows[0] == ["date"] + embedded["classes"], "lifetime-daily-stats.tsv header %r" % rows[0])
        check([r[0] for r in rows[1:]] == embedded["dates"] and
              all([int(r[k + 1]) for r in rows[1:]] == embedded["counts"][k]
                  for k in range(len(embedded["classes"]))),
              "the lifetime chart's data differs from lifetime-daily-stats.tsv")
        # The key and validation bars: every organization's counts of every
        # class equal summary.json's (classes with no certificate draw nothing).
        bars = json.loads(sc.get("data-bars", "{}"))
        check(sorted(bars) == sorted(o["organization"] for o in summary["organizations"]),
              "bar organizations %r" % sorted(bars))
        for o in summary["organizations"]:
            for kind in ("key", "validation"):
                want = {k: v for k, v in o["breakdowns"][kind].items() if v > 0}
                got = bars.get(o["organization"], {}).get(kind)
                check(got == want, "%s %s bars: page %r, summary %r" %
                      (o["organization"], kind, got, want))
        kinds = {kind: sum(1 for o in bars.values() for _ in o.get(kind, {}))
                 for kind in ("key", "validation")}
        check(all(n > 0 for n in kinds.values()), "no bar segments: %r" % kinds)

        # The numbers shown equal summary.json's.
        check(json.loads(reader.data_text)["summary"] == summary,
              "embedded summary differs from summary.json")
        for key in SUMMARY_KEYS:
            check(reader.values.get(key) == shown(lookup(summary, key)),
                  "%s: page %r, summary.json %r" % (key, reader.values.get(key),
                                                    lookup(summary, key)))
        orgs = reader.tables.get("table-organizations", {})
        check(sorted(orgs) == sorted(o["organization"] for o in summary["organizations"]),
              "organization rows %r" % sorted(orgs))
        for o in summary["organizations"]:
            row = orgs.get(o["organization"], {})
            for key in ["organization"] + COUNTS:
                check(row.get(key) == shown(o[key]),
                      "%s %s: page %r, summary %r" % (o["organization"], key, row.get(key), o[key]))
        issuers = reader.tables.get("table-issuers", {})
        check(sorted(issuers) == sorted(i["issuer_id"] for i in summary["issuers"]),
              "issuer rows %r" % sorted(issuers))
        for i in summary["issuers"]:
            row = issuers.get(i["issuer_id"], {})
            for key in ["issuer_name", "organization"] + COUNTS:
                check(row.get(key) == shown(i[key]),
                      "%s %s: page %r, summary %r" % (i["issuer_id"], key, row.get(key), i[key]))

        # The screenshot, kept for people.
        os.makedirs(args.artifacts, exist_ok=True)
        shot = os.path.join(args.artifacts, "report-screenshot.png")
        if os.path.exists(shot):
            os.remove(shot)
        result = open_in_chromium(browser, page, os.path.join(tmp, "profile-shot"),
                                  ["--screenshot=" + shot])
        check(not console_lines(result.stderr), "console output while taking the screenshot")
        check(os.path.exists(shot) and os.path.getsize(shot) > 20000,
              "no screenshot at %s" % shot)
        if os.path.exists(shot):
            with open(shot, "rb") as f:
                check(f.read(8) == b"\x89PNG\r\n\x1a\n", "the screenshot is not a PNG")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("report.html: no console errors, %d charts drew data, %d numbers equal summary.json; "
          "screenshot %s" % (len(charts), len(SUMMARY_KEYS), shot))
    return 0


if __name__ == "__main__":
    sys.exit(main())
