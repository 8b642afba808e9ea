#!/usr/bin/env python3
"""The number side of bench/run: turns the output of wrk, callgrind_annotate and
strace -c into rows of one long table (TSV), and that table into Markdown and
the data file of bench/plot.gp.

The table has one number per row:

    kind  scenario  server  round  metric  value

kind is "meta" (value is text), "load" (one wrk run), "callgrind",
"callgrind-fn" (metric is a function), "strace" or "strace-call" (metric is a
system call). Subcommands:

    report.py header
    report.py wrk FILE --scenario S --server X --round R --cpu-ticks T --clk-tck HZ --rss-kb K
    report.py callgrind --server X --scenario S --small N FILE --large M FILE
    report.py strace    --server X --scenario S --small N FILE --large M FILE
    report.py render TSV --markdown FILE --plot-data FILE
"""

import argparse
import re
import statistics
import sys
from collections import defaultdict

COLUMNS = ("kind", "scenario", "server", "round", "metric", "value")

SCENARIOS = {
    "ka-1k": "1 KiB, keep-alive, 50 conns",
    "close-1k": "1 KiB, new connection per request, 50 conns",
    "ka-64k": "64 KiB, keep-alive, 50 conns",
    "file-100m": "100 MiB, keep-alive, 4 conns (4 wrk threads)",
    "conn-1000": "1 KiB, keep-alive, 1,000 conns",
}
PLOT_LABELS = {
    "ka-1k": "1KiB keep-alive",
    "close-1k": "1KiB close",
    "ka-64k": "64KiB keep-alive",
    "file-100m": "100MiB",
    "conn-1000": "1000 conns",
}


def row(kind, scenario, server, rnd, metric, value):
    if isinstance(value, float):
        value = "%.6g" % value if abs(value) < 1e6 else "%.0f" % value
    print("\t".join(str(x) for x in (kind, scenario, server, rnd, metric, value)))


# ------------------------------------------------------------------ wrk

def parse_wrk(text):
    """The numbers of one wrk run: exact totals from the summary script's BENCH
    line, errors from wrk's own "Socket errors" and "Non-2xx" lines."""
    m = re.search(r"^BENCH (.*)$", text, re.M)
    if not m:
        raise ValueError("no BENCH line in the wrk output (was wrk-summary.lua loaded?)")
    v = {k: int(x) for k, x in (kv.split("=") for kv in m.group(1).split())}
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    v["err_connect"], v["err_read"], v["err_write"], v["err_timeout"] = (
        (int(x) for x in sock.groups()) if sock else (0, 0, 0, 0))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    v["non_2xx_3xx"] = int(non2xx.group(1)) if non2xx else 0
    return v


def cmd_wrk(a):
    with open(a.file, errors="replace") as f:
        v = parse_wrk(f.read())
    secs = v["duration_us"] / 1e6
    n = v["requests"]
    errors = v["err_connect"] + v["err_read"] + v["err_write"] + v["err_timeout"] + v["non_2xx_3xx"]
    user_ticks, sys_ticks = a.cpu_ticks
    cpu_ticks = user_ticks + sys_ticks
    cpu_s = cpu_ticks / a.clk_tck
    out = [
        ("requests", n),
        ("bytes", v["bytes"]),
        ("duration_s", secs),
        ("req_per_s", n / secs),
        ("mb_per_s", v["bytes"] / secs / 1e6),
        ("lat_p50_ms", v["p50_us"] / 1000),
        ("lat_p90_ms", v["p90_us"] / 1000),
        ("lat_p99_ms", v["p99_us"] / 1000),
        ("lat_max_ms", v["max_us"] / 1000),
        ("err_connect", v["err_connect"]),
        ("err_read", v["err_read"]),
        ("err_write", v["err_write"]),
        ("err_timeout", v["err_timeout"]),
        ("non_2xx_3xx", v["non_2xx_3xx"]),
        ("errors", errors),
        ("cpu_s", cpu_s),
        ("cpu_us_per_req", cpu_s * 1e6 / n if n else 0.0),
        ("cpu_user_us_per_req", user_ticks / a.clk_tck * 1e6 / n if n else 0.0),
        ("cpu_sys_us_per_req", sys_ticks / a.clk_tck * 1e6 / n if n else 0.0),
        ("rss_peak_kb", a.rss_kb),
    ]
    if a.cpu0:
        busy, steal, total = a.cpu0
        # CPU 0 holds only the server: what else kept it busy (other processes;
        # without IRQ time accounting, softirq work is charged to the task it
        # interrupted, here the server), and the hypervisor's steal.
        out.append(("cpu0_other_pct", 100.0 * max(busy - cpu_ticks, 0) / total if total else 0.0))
        out.append(("cpu0_steal_pct", 100.0 * steal / total if total else 0.0))
    for metric, value in out:
        row("load", a.scenario, a.server, a.round, metric, value)
    print("bench: round %s %-9s %-11s %10.0f req/s %9.1f MB/s  p99 %7.2f ms  "
          "errors %d  cpu %.1f us/req" % (
              a.round, a.scenario, a.server, n / secs, v["bytes"] / secs / 1e6,
              v["p99_us"] / 1000, errors, cpu_s * 1e6 / n if n else 0), file=sys.stderr)


# ------------------------------------------------------------------ callgrind

ANNOTATE_LINE = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.+?)\s*$")


def parse_annotate(path):
    """callgrind_annotate --inclusive=no --auto=no: total and self cost per
    function (keyed by the function's name; its object's base name is kept
    for display)."""
    total, funcs, objs = None, {}, {}
    in_table = False
    with open(path, errors="replace") as f:
        for line in f:
            if re.match(r"^Ir\s+file:function", line):
                in_table = True
                continue
            m = ANNOTATE_LINE.match(line)
            if not m:
                continue
            cost = int(m.group(1).replace(",", ""))
            name = m.group(2)
            if name == "PROGRAM TOTALS":
                total = cost
                continue
            if not in_table:
                continue
            # "file:function [object]"
            fm = re.match(r"^(.*?):(\S+)(?: \[(.+)\])?$", name)
            if not fm:
                continue
            fn = fm.group(2)
            if fm.group(3):
                objs.setdefault(fn, fm.group(3).rsplit("/", 1)[-1])
            funcs[fn] = funcs.get(fn, 0) + cost
    if total is None:
        raise ValueError("%s: no PROGRAM TOTALS line" % path)
    return total, {("%s (%s)" % (fn, objs[fn]) if fn in objs else fn): c
                   for fn, c in funcs.items()}


def cmd_callgrind(a):
    small_total, small_funcs = parse_annotate(a.small[1])
    large_total, large_funcs = parse_annotate(a.large[1])
    delta = int(a.large[0]) - int(a.small[0])
    row("callgrind", a.scenario, a.server, "-", "requests_small", int(a.small[0]))
    row("callgrind", a.scenario, a.server, "-", "requests_large", int(a.large[0]))
    row("callgrind", a.scenario, a.server, "-", "instr_total_small", small_total)
    row("callgrind", a.scenario, a.server, "-", "instr_total_large", large_total)
    row("callgrind", a.scenario, a.server, "-", "instr_per_req", (large_total - small_total) / delta)
    per_fn = {fn: (large_funcs.get(fn, 0) - small_funcs.get(fn, 0)) / delta
              for fn in set(small_funcs) | set(large_funcs)}
    for fn, cost in sorted(per_fn.items(), key=lambda kv: -kv[1])[:40]:
        if cost >= 0.5:
            row("callgrind-fn", a.scenario, a.server, "-", fn, cost)
    if a.inclusive:
        _, small_incl = parse_annotate(a.inclusive[0])
        _, large_incl = parse_annotate(a.inclusive[1])
        per_fn = {fn: (large_incl.get(fn, 0) - small_incl.get(fn, 0)) / delta
                  for fn in set(small_incl) | set(large_incl)}
        for fn, cost in sorted(per_fn.items(), key=lambda kv: -kv[1])[:60]:
            if cost >= 0.5:
                row("callgrind-incl", a.scenario, a.server, "-", fn, cost)
    print("bench: callgrind %s: %.0f instructions per request" % (
        a.server, (large_total - small_total) / delta), file=sys.stderr)


# ------------------------------------------------------------------ strace

def parse_strace(path):
    """strace -c: calls and errors per system call."""
    calls = {}
    with open(path, errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) not in (5, 6) or not re.match(r"^[\d.]+$", parts[0]):
                continue
            name = parts[-1]
            if name == "total":
                continue
            n = int(parts[3])
            err = int(parts[4]) if len(parts) == 6 else 0
            calls[name] = (n, err)
    return calls


def cmd_strace(a):
    small = parse_strace(a.small[1])
    large = parse_strace(a.large[1])
    delta = int(a.large[0]) - int(a.small[0])
    total = 0.0
    for name in sorted(set(small) | set(large)):
        n = (large.get(name, (0, 0))[0] - small.get(name, (0, 0))[0]) / delta
        e = (large.get(name, (0, 0))[1] - small.get(name, (0, 0))[1]) / delta
        if abs(n) < 0.0005:
            continue
        total += n
        row("strace-call", a.scenario, a.server, "-", name, n)
        if e:
            row("strace-call", a.scenario, a.server, "-", name + ":errors", e)
    row("strace", a.scenario, a.server, "-", "requests_small", int(a.small[0]))
    row("strace", a.scenario, a.server, "-", "requests_large", int(a.large[0]))
    row("strace", a.scenario, a.server, "-", "syscalls_per_req", total)
    print("bench: strace %s: %.2f system calls per request" % (a.server, total), file=sys.stderr)


# ------------------------------------------------------------------ render

def fmt(x, digits=0):
    if x is None:
        return "–"
    if digits == 0:
        return "{:,.0f}".format(x)
    return "{:,.{d}f}".format(x, d=digits)


def small(x):
    """A count per request: two decimals, more when it is below 0.01 but not 0."""
    if x != 0 and abs(x) < 0.01:
        return "%.4f" % x
    return fmt(x, 2)


def median(xs):
    return statistics.median(xs) if xs else None


def cmd_render(a):
    meta = {}
    load = defaultdict(lambda: defaultdict(dict))  # (scen, server) -> metric -> round -> v
    cg, cgfn, st, stcall = defaultdict(dict), defaultdict(dict), defaultdict(dict), defaultdict(dict)
    cgincl = defaultdict(dict)
    with open(a.tsv) as f:
        header = f.readline().rstrip("\n").split("\t")
        if tuple(header) != COLUMNS:
            raise ValueError("%s: not a bench table" % a.tsv)
        for line in f:
            kind, scen, server, rnd, metric, value = line.rstrip("\n").split("\t")
            if kind == "meta":
                meta[metric] = value
            elif kind == "load":
                load[(scen, server)][metric][rnd] = float(value)
            elif kind == "callgrind":
                cg[server][metric] = float(value)
            elif kind == "callgrind-fn":
                cgfn[server][metric] = float(value)
            elif kind == "callgrind-incl":
                cgincl[server][metric] = float(value)
            elif kind == "strace":
                st[(scen, server)][metric] = float(value)
            elif kind == "strace-call":
                stcall[(scen, server)][metric] = float(value)

    servers = meta.get("servers", "switchboard").split()
    scenarios = [s for s in meta.get("scenarios", " ".join(SCENARIOS)).split()
                 if any((s, x) in load for x in servers)]

    def med(scen, server, metric):
        return median(list(load[(scen, server)].get(metric, {}).values()))

    def cpu_cell(scen, server):
        total = med(scen, server, "cpu_us_per_req")
        user = med(scen, server, "cpu_user_us_per_req")
        kern = med(scen, server, "cpu_sys_us_per_req")
        if total is None:
            return "–"
        if user is None or kern is None:
            return fmt(total, 1)
        digits = 1 if total < 1000 else 0
        return "%s (%s + %s)" % (fmt(total, digits), fmt(user, digits), fmt(kern, digits))

    def ratio(scen, server, metric="req_per_s"):
        """Median over rounds of server / nginx in the same round."""
        mine = load[(scen, server)].get(metric, {})
        ref = load[(scen, "nginx")].get(metric, {})
        rs = [mine[r] / ref[r] for r in mine if r in ref and ref[r] > 0]
        return median(rs)

    out = []
    w = out.append
    w("# switchboard benchmark")
    w("")
    w("%s — %s; %s." % (meta.get("date", "?"), meta.get("cpu", "?"), meta.get("kernel", "?")))
    versions = [meta.get("switchboard", "switchboard")]
    built = [x for x in (meta.get("switchboard_commit"), meta.get("switchboard_compiler")) if x]
    if built:
        versions[0] += " (%s)" % ", ".join(built)
    for s in ("nginx", "lighttpd", "h2o", "wrk"):
        if s in meta:
            versions.append(meta[s])
    w("Versions: %s." % ", ".join(versions))
    w("")
    rounds = meta.get("rounds", "?")
    w("Load: wrk -t1 pinned to CPU 1, each server pinned to CPU 0 (one process, "
      "or nginx's master plus one worker), over 127.0.0.1; %s round(s) of %s s per run, servers "
      "interleaved in every round. Figures are medians over the rounds; *vs nginx* is the "
      "median of the per-round ratios (server ÷ nginx in the same round), so a slow patch of "
      "the shared machine affects both sides of a ratio alike. Errors are the sum over all "
      "rounds of wrk's socket errors (connect, read, write, timeout after 5 s) and non-2xx/3xx "
      "responses. CPU is the server's user + system time per request (/proc/PID/stat, "
      "all of its processes); RSS is the peak resident set (VmHWM) of the process holding the "
      "connections, each server started fresh for each scenario. MB = 10^6 bytes."
      % (rounds, meta.get("duration_s", "?")))
    w("")
    cmds = [(s, meta["wrk_" + s]) for s in scenarios if "wrk_" + s in meta]
    if cmds:
        w("Scenarios (the same for every server; files of random bytes):")
        w("")
        for s, c in cmds:
            w("- %s: `%s`" % (SCENARIOS.get(s, s), c))
        w("")
    has_nginx = "nginx" in servers
    w("| Scenario | Server | req/s | req/s range | MB/s | vs nginx | p50 ms | p99 ms | errors "
      "| CPU µs/req (user + sys) | peak RSS MiB |")
    w("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for scen in scenarios:
        for server in servers:
            if (scen, server) not in load:
                continue
            rps = load[(scen, server)]["req_per_s"].values()
            errs = sum(load[(scen, server)].get("errors", {}).values())
            r = ratio(scen, server) if has_nginx else None
            w("| %s | %s | %s | %s–%s | %s | %s | %s | %s | %s | %s | %s |" % (
                SCENARIOS.get(scen, scen), server,
                fmt(med(scen, server, "req_per_s")),
                fmt(min(rps)), fmt(max(rps)),
                fmt(med(scen, server, "mb_per_s"), 1),
                ("%.2f" % r) if r is not None else "–",
                fmt(med(scen, server, "lat_p50_ms"), 2),
                fmt(med(scen, server, "lat_p99_ms"), 2),
                fmt(errs),
                cpu_cell(scen, server),
                fmt(med(scen, server, "rss_peak_kb") / 1024, 1)
                if med(scen, server, "rss_peak_kb") is not None else "–"))
    other = [v for k in load for v in load[k].get("cpu0_other_pct", {}).values()]
    steal = [v for k in load for v in load[k].get("cpu0_steal_pct", {}).values()]
    if other:
        w("Noise: during the runs, processes other than the server kept CPU 0 busy for a median "
          "of %.0f%% of the time (at most %.0f%%), and the hypervisor stole a median of %.0f%% "
          "(at most %.0f%%); load average %s before the runs, %s after.%s" % (
              median(other), max(other), median(steal), max(steal),
              meta.get("loadavg_before", "?"), meta.get("loadavg_after", "?"),
              " **The machine was busy: req/s and latency are unreliable; the ratios less so, "
              "CPU per request least.**" if median(other) > 10 or median(steal) > 10 else ""))
        w("")

    goals = goal_rows(servers, scenarios, med, load, cg, st)
    if goals:
        w("## Goals")
        w("")
        w("Each goal against the peers measured in this run (*best peer*: the highest "
          "req/s or MB/s, the lowest p99), with the deterministic figures beside it.")
        w("")
        w("| goal | switchboard | peers | met? |")
        w("|---|--:|---|---|")
        for goal, mine, peers, met in goals:
            w("| %s | %s | %s | %s |" % (goal, mine, peers, "**met**" if met else "not met"))
        w("")
        for server in sorted(set(cg) | {srv for _, srv in st}, key=lambda x: (x != "switchboard", x)):
            figs = []
            if cg.get(server, {}).get("instr_per_req"):
                figs.append("%s instructions" % fmt(cg[server]["instr_per_req"]))
            for x, label in (("ka-1k", "keep-alive"), ("close-1k", "new connection")):
                v = st.get((x, server), {}).get("syscalls_per_req")
                if v is not None:
                    figs.append("%s system calls (%s)" % (fmt(v, 2), label))
            if figs:
                w("- deterministic, per request, %s: %s" % (server, ", ".join(figs)))
        w("")

    if cg or st:
        prof = sorted(set(cg) | {srv for _, srv in st}, key=lambda s: (s != "switchboard", s))
        st_scens = [x for x in ("ka-1k", "close-1k") if any((x, srv) in st for srv in prof)]
        some = cg.get(prof[0]) or st.get(("ka-1k", prof[0])) or {}
        n_small = int(some.get("requests_small", 0))
        n_large = int(some.get("requests_large", 0))
        w("## Per request, deterministic")
        w("")
        w("GET /1k.bin from bench/kaclient.py, one request at a time: on one keep-alive "
          "connection, or (*new connection*, system calls only) each on a connection of its own "
          "with `Connection: close`, read until the server closes it. "
          "Each server is measured twice, with %d and with %d requests, and the difference is "
          "divided by %d: start-up and shutdown cancel out. "
          "Instructions are user space only (valgrind --tool=callgrind, keep-alive); system "
          "calls are counted with strace -c -f. nginx runs as one process (master_process off)."
          % (n_small, n_large, n_large - n_small))
        w("")

        def ratio_cell(x, ref):
            return ("%.2f" % (x / ref)) if x and ref else "–"

        head = "| Server | instructions/req | vs nginx |"
        rule = "|---|--:|--:|"
        for x in st_scens:
            label = "keep-alive" if x == "ka-1k" else "new connection"
            head += " system calls/req, %s | vs nginx |" % label
            rule += "--:|--:|"
        w(head)
        w(rule)
        for server in prof:
            i = cg.get(server, {}).get("instr_per_req")
            ni = cg.get("nginx", {}).get("instr_per_req")
            line = "| %s | %s | %s |" % (server, fmt(i), ratio_cell(i, ni))
            for x in st_scens:
                v = st.get((x, server), {}).get("syscalls_per_req")
                nv = st.get((x, "nginx"), {}).get("syscalls_per_req")
                line += " %s | %s |" % (fmt(v, 2) if v is not None else "–", ratio_cell(v, nv))
            w(line)
        w("")
        cols = [(x, srv) for x in st_scens for srv in prof if (x, srv) in stcall]
        if cols:
            names = sorted({n for c in cols for n in stcall[c] if not n.endswith(":errors")},
                           key=lambda n: (-stcall[cols[0]].get(n, 0),
                                          -max(stcall[c].get(n, 0) for c in cols), n))
            w("System calls per request (of which failed, e.g. EAGAIN, in brackets):")
            w("")
            w("| system call | " + " | ".join(
                "%s, %s" % (srv, "keep-alive" if x == "ka-1k" else "new conn.") for x, srv in cols)
              + " |")
            w("|---|" + "--:|" * len(cols))
            for n in names:
                cells = []
                for c in cols:
                    v = stcall[c].get(n)
                    e = stcall[c].get(n + ":errors")
                    cells.append("–" if v is None else small(v) + (" (%s)" % small(e) if e else ""))
                w("| %s | %s |" % (n, " | ".join(cells)))
            w("")
        for server in prof:
            fns = cgfn.get(server)
            if not fns:
                continue
            w("Where %s's instructions go (self cost per request, top 12):" % server)
            w("")
            w("| function | instructions/req |")
            w("|---|--:|")
            for fn, c in sorted(fns.items(), key=lambda kv: -kv[1])[:12]:
                w("| `%s` | %s |" % (fn, fmt(c)))
            w("")
        own = {fn: c for fn, c in cgincl.get("switchboard", {}).items()
               if fn.endswith("(switchboard)")}
        if own:
            w("switchboard's own functions, inclusive cost per request (what they and "
              "their callees execute, top 15):")
            w("")
            w("| function | instructions/req |")
            w("|---|--:|")
            for fn, c in sorted(own.items(), key=lambda kv: -kv[1])[:15]:
                w("| `%s` | %s |" % (fn.replace(" (switchboard)", ""), fmt(c)))
            w("")

    with open(a.markdown, "w") as f:
        f.write("\n".join(out))

    with open(a.plot_data, "w") as f:
        f.write("scenario\t" + "\t".join(servers) + "\n")
        for scen in scenarios:
            vals = [med(scen, s, "req_per_s") for s in servers]
            f.write('"%s"\t' % PLOT_LABELS.get(scen, scen)
                    + "\t".join("NaN" if v is None else "%.1f" % v for v in vals) + "\n")


def goal_rows(servers, scenarios, med, load, cg, st):
    """(goal, switchboard's figure, the peers' figures, met) for each goal the
    run has the numbers for."""
    peers = [s for s in servers if s != "switchboard"]
    rows = []

    def listing(values, digits):
        return ", ".join("%s %s" % (p, fmt(v, digits)) for p, v in values)

    def best(scen, metric, pick):
        vals = [(p, med(scen, p, metric)) for p in peers if (scen, p) in load]
        vals = [(p, v) for p, v in vals if v is not None]
        if not vals:
            return None, vals
        return pick(v for _, v in vals), vals

    def at_least_best(goal, scen, metric, digits):
        if (scen, "switchboard") not in load:
            return
        top, vals = best(scen, metric, max)
        mine = med(scen, "switchboard", metric)
        if top is not None and mine is not None:
            rows.append((goal, fmt(mine, digits), listing(vals, digits), mine >= top))

    sb_instr = cg.get("switchboard", {}).get("instr_per_req")
    lt_instr = cg.get("lighttpd", {}).get("instr_per_req")
    if sb_instr and lt_instr:
        rows.append(("instructions per keep-alive request ≤ 0.5 × lighttpd's",
                     fmt(sb_instr), "lighttpd %s (half: %s)" % (fmt(lt_instr), fmt(lt_instr / 2)),
                     sb_instr <= lt_instr / 2))
    def cpu_at_most(goal, scen, peer, factor):
        if (scen, "switchboard") not in load or (scen, peer) not in load:
            return
        mine = med(scen, "switchboard", "cpu_us_per_req")
        theirs = med(scen, peer, "cpu_us_per_req")
        if mine is not None and theirs is not None:
            bound = "" if factor == 1 else " (%s×: %s)" % (fmt(factor, 2), fmt(theirs * factor, 1))
            rows.append((goal, fmt(mine, 1), "%s %s%s" % (peer, fmt(theirs, 1), bound),
                         mine <= theirs * factor))

    cpu_at_most("1 KiB keep-alive: CPU µs/req ≤ 0.75 × lighttpd's", "ka-1k", "lighttpd", 0.75)
    at_least_best("new connection per request: req/s ≥ best peer", "close-1k", "req_per_s", 0)
    cpu_at_most("new connection per request: CPU µs/req ≤ h2o's", "close-1k", "h2o", 1)
    at_least_best("64 KiB keep-alive: MB/s ≥ best peer", "ka-64k", "mb_per_s", 1)
    at_least_best("100 MiB, 4 connections: MB/s ≥ best peer", "file-100m", "mb_per_s", 1)
    at_least_best("1,000 connections: req/s ≥ best peer", "conn-1000", "req_per_s", 0)
    if ("conn-1000", "switchboard") in load:
        low, vals = best("conn-1000", "lat_p99_ms", min)
        mine = med("conn-1000", "switchboard", "lat_p99_ms")
        if low is not None and mine is not None:
            rows.append(("1,000 connections: p99 ≤ best peer's", fmt(mine, 2) + " ms",
                         listing(vals, 2), mine <= low))
        errs = sum(load[("conn-1000", "switchboard")].get("errors", {}).values())
        rows.append(("1,000 connections: zero errors", fmt(errs), "", errs == 0))
    return rows


def main():
    ap = argparse.ArgumentParser(description="bench/run's number side")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("header")
    p = sub.add_parser("wrk")
    p.add_argument("file")
    p.add_argument("--scenario", required=True)
    p.add_argument("--server", required=True)
    p.add_argument("--round", required=True)
    p.add_argument("--cpu-ticks", type=int, nargs=2, metavar=("USER", "SYS"), required=True,
                   help="the server's utime and stime during the run, in clock ticks")
    p.add_argument("--clk-tck", type=int, default=100)
    p.add_argument("--rss-kb", type=int, default=0)
    p.add_argument("--cpu0", type=int, nargs=3, metavar=("BUSY", "STEAL", "ALL"),
                   help="ticks of CPU 0 during the run, from /proc/stat")
    for name in ("callgrind", "strace"):
        p = sub.add_parser(name)
        p.add_argument("--server", required=True)
        p.add_argument("--scenario", required=True)
        p.add_argument("--small", nargs=2, metavar=("N", "FILE"), required=True)
        p.add_argument("--large", nargs=2, metavar=("N", "FILE"), required=True)
        if name == "callgrind":
            p.add_argument("--inclusive", nargs=2, metavar=("SMALL", "LARGE"),
                           help="callgrind_annotate --inclusive=yes of the same two runs")
    p = sub.add_parser("render")
    p.add_argument("tsv")
    p.add_argument("--markdown", required=True)
    p.add_argument("--plot-data", required=True)
    a = ap.parse_args()
    if a.cmd == "header":
        print("\t".join(COLUMNS))
    elif a.cmd == "wrk":
        cmd_wrk(a)
    elif a.cmd == "callgrind":
        cmd_callgrind(a)
    elif a.cmd == "strace":
        cmd_strace(a)
    elif a.cmd == "render":
        cmd_render(a)


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError) as e:
        print("report.py: %s" % e, file=sys.stderr)
        sys.exit(1)
