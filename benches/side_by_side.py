#!/usr/bin/env python3
"""Side-by-side timing of helmoci and Helm (the official v4 SDK, helm-python-sdk).

Each operation runs as a fresh process, alternating helmoci and Helm, on the same charts
(and, for push/pull, the same local registry). For every (operation, chart) it prints the
median wall time, CPU time (user+sys) and peak RSS of each process, and two ratios:
  - whole: Helm's whole process (interpreter + SDK load + call) / helmoci's whole process
  - sdk:   the Helm SDK call alone, timed inside its process / helmoci's whole process
The second is the strict one: it gives Helm no start-up cost at all.

usage: python3 benches/side_by_side.py [--runs N] [--ops package,push,pull,dependency]
                                      [--charts small,templates2000,big80mib]
                                      [--registry-storage disk|tmpfs] [--real-charts DIR]
Needs: a release build (it runs `cargo build --release` itself), HELMOCI_PYTHON or .venv with
helm_python, and for push, pull and dependency the docker-registry binary.

`dependency` runs `dependency update` on an umbrella chart with 13 dependencies: 10 `oci://`
charts in the local registry (four versions each), 2 from a classic HTTP repository
(index.yaml, served from this process on 127.0.0.1) and 1 `file://` chart, each run with
cold caches on both sides (fresh Helm home and cache directories). With --real-charts, every
public chart there whose dependencies are vendored in charts/ (kube-prometheus-stack) is also
updated, from local HTTP repositories standing in for its https:// ones. Both sides must leave
the same entries in charts/.
"""
import argparse, functools, http.server, json, os, platform, re, shutil, socket, statistics, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = os.environ.get("HELMOCI_PYTHON") or os.path.join(ROOT, ".venv", "bin", "python")
HELMOCI = os.path.join(ROOT, "target", "release", "helmoci")


def run_measured(argv, env=None):
    """Runs argv as a child; returns (wall s, CPU s, peak RSS MiB, stdout).

    The child is started with posix_spawn (vfork + exec), as a shell or a CI runner would:
    a plain fork would first copy this Python process's page tables, a cost of the
    harness (about 1 ms here) that belongs to neither program.
    """
    exe = argv[0] if os.path.isabs(argv[0]) else shutil.which(argv[0])
    actions = [
        (os.POSIX_SPAWN_OPEN, 1, OUTFILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ]
    t0 = time.perf_counter()
    pid = os.posix_spawn(exe, argv, env or os.environ, file_actions=actions)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"command failed ({status}): {' '.join(argv)}")
    with open(OUTFILE) as f:
        out = f.read()
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0, out


def peak_rss(argv, env=None):
    """Peak RSS (MiB) of argv, measured by GNU time in one extra run.

    The rusage of a child spawned from this process is not enough: at exec, Linux carries
    the parent's high-water mark over (the Python harness's ~16 MiB with vfork). GNU time is
    a small process whose fork of the measured program starts from its own few pages.
    Falls back to the rusage figure when /usr/bin/time is missing (Debian package `time`).
    """
    if not os.path.exists("/usr/bin/time"):
        return None
    out = OUTFILE + ".rss"
    run_measured(["/usr/bin/time", "-f", "%M", "-o", out] + argv, env)
    with open(out) as f:
        return int(f.read().split()[-1]) / 1024.0


OUTFILE = os.path.join(tempfile.gettempdir(), f"side_by_side_{os.getpid()}.out")

HELM_SNIPPET = """
import sys, time, json
import helm_python as h
op = sys.argv[1]
t = time.perf_counter()
if op == "package":
    h.package(sys.argv[2], destination=sys.argv[3])
elif op == "push":
    h.push(sys.argv[2], sys.argv[3], plain_http=True)
elif op == "pull":
    h.pull(sys.argv[2], version=sys.argv[3], destination=sys.argv[4], plain_http=True)
elif op == "dependency":
    h.dependency_update(sys.argv[2], plain_http=True)
print(json.dumps({"sdk": time.perf_counter() - t}))
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_registry(tmp, data_dir):
    binary = os.environ.get("HELMOCI_REGISTRY_BIN") or shutil.which("docker-registry")
    if not binary:
        raise SystemExit("docker-registry not found (apt-get install docker-registry)")
    port = free_port()
    cfg = os.path.join(tmp, "registry.yml")
    with open(cfg, "w") as f:
        f.write(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {data_dir}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n")
    proc = subprocess.Popen([binary, "serve", cfg], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("registry did not start")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(directory, servers):
    """Serves `directory` over HTTP on 127.0.0.1 from a thread; returns its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=directory))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    servers.append(server)
    return f"http://127.0.0.1:{server.server_address[1]}"


def write_chart(path, name, version):
    os.makedirs(os.path.join(path, "templates"), exist_ok=True)
    with open(os.path.join(path, "Chart.yaml"), "w") as f:
        f.write(f"apiVersion: v2\nname: {name}\nversion: {version}\n")
    with open(os.path.join(path, "values.yaml"), "w") as f:
        f.write("replicas: 1\n")
    with open(os.path.join(path, "templates", "cm.yaml"), "w") as f:
        f.write("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n")


class DependencyCase:
    """A chart to run `dependency update` on: a fresh copy of `base` (or an empty directory)
    with `chart_yaml` as its Chart.yaml, in `parent` (where its file:// paths point)."""

    def __init__(self, label, parent, chart_yaml, archives, base=None, skip=()):
        self.label, self.parent, self.chart_yaml, self.base, self.skip = label, parent, chart_yaml, base, set(skip)
        self.archives = archives  # how many .tgz an update must leave in charts/

    def written(self, d):
        """What `dependency update` left in charts/; it must be complete and have a lock."""
        got = sorted(os.listdir(os.path.join(d, "charts")))
        if sum(n.endswith(".tgz") for n in got) != self.archives or not os.path.exists(os.path.join(d, "Chart.lock")):
            raise SystemExit(f"{self.label}: dependency update in {d} wrote {got}")
        return got

    def fresh(self, tag, env):
        """A new copy and an environment with empty Helm homes (cold caches)."""
        d = os.path.join(self.parent, tag)
        if self.base:
            shutil.copytree(self.base, d, ignore=lambda src, names: [
                n for n in names if src == os.path.join(self.base, "charts") and n in self.skip])
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "Chart.yaml"), "w") as f:
            f.write(self.chart_yaml)
        home = os.path.join(self.parent, "homes", tag)
        e = {k: v for k, v in env.items() if k not in ("HELM_REPOSITORY_CONFIG", "HELM_REPOSITORY_CACHE", "HELM_CONTENT_CACHE")}
        e.update(HELM_CONFIG_HOME=os.path.join(home, "config"), HELM_CACHE_HOME=os.path.join(home, "cache"),
                 HELM_DATA_HOME=os.path.join(home, "data"), HELM_REGISTRY_CONFIG=os.path.join(home, "registry.json"),
                 DOCKER_CONFIG=os.path.join(home, "docker"), REGISTRY_AUTH_FILE=os.path.join(home, "auth.json"))
        return d, e


def umbrella_case(tmp, port, env, servers):
    """The synthetic umbrella: 10 charts c0..c9 in oci://127.0.0.1:PORT/deps (1.0.0, 1.1.0,
    1.2.0, 2.0.0; it asks ^1.0.0), web 1.0.0/1.5.0 and db 0.3.0 in an HTTP repository, and
    lib 0.2.0 beside it (file://)."""
    src, pkg = os.path.join(tmp, "dep-src"), os.path.join(tmp, "dep-pkg")
    for i in range(10):
        for v in ["1.0.0", "1.1.0", "1.2.0", "2.0.0"]:
            d = os.path.join(src, f"c{i}-{v}")
            write_chart(d, f"c{i}", v)
            subprocess.run([HELMOCI, "package", d, "-d", pkg], check=True, stdout=subprocess.DEVNULL, env=env)
            subprocess.run([HELMOCI, "push", os.path.join(pkg, f"c{i}-{v}.tgz"), f"oci://127.0.0.1:{port}/deps", "--plain-http"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    www = os.path.join(tmp, "www")
    for name, v in [("web", "1.0.0"), ("web", "1.5.0"), ("db", "0.3.0")]:
        d = os.path.join(src, f"{name}-{v}")
        write_chart(d, name, v)
        subprocess.run([HELMOCI, "package", d, "-d", os.path.join(www, "charts")], check=True, stdout=subprocess.DEVNULL, env=env)
    url = serve(www, servers) + "/charts"
    subprocess.run([HELMOCI, "repo", "index", os.path.join(www, "charts"), "--url", url], check=True, env=env)
    parent = os.path.join(tmp, "umbrellas")
    write_chart(os.path.join(parent, "lib"), "lib", "0.2.0")
    deps = "".join(f"- name: c{i}\n  version: ^1.0.0\n  repository: oci://127.0.0.1:{port}/deps\n" for i in range(10))
    deps += f"- name: web\n  version: ^1.0.0\n  repository: {url}\n- name: db\n  version: ~0.3.0\n  repository: {url}\n"
    deps += "- name: lib\n  version: \">=0.1.0\"\n  repository: file://../lib\n"
    chart_yaml = f"apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n{deps}"
    return DependencyCase("umbrella (13 deps)", parent, chart_yaml, 13)


def real_case(tmp, name, src, env, servers):
    """A public chart whose dependencies are vendored in charts/ (as exported): each of its
    https:// repositories is stood in for by a local HTTP repository holding the vendored
    charts, packaged, and the copies start without them. None when it has no such
    dependencies."""
    with open(os.path.join(src, "Chart.yaml")) as f:
        chart_yaml = f.read()
    urls = sorted(set(re.findall(r"repository:\s*['\"]?(https?://[^\s'\"]+)", chart_yaml)))
    charts = os.path.join(src, "charts")
    vendored = sorted(n for n in os.listdir(charts) if os.path.isfile(os.path.join(charts, n, "Chart.yaml"))) \
        if os.path.isdir(charts) else []
    if not urls or not vendored:
        return None
    www = os.path.join(tmp, "real-www", name)
    pkg = os.path.join(www, "_pkg")
    for n in vendored:
        subprocess.run([HELMOCI, "package", os.path.join(charts, n), "-d", pkg], check=True, stdout=subprocess.DEVNULL, env=env)
    base = serve(www, servers)
    remote = set()
    for i, url in enumerate(urls):
        repo = os.path.join(www, f"r{i}")
        shutil.copytree(pkg, repo)
        subprocess.run([HELMOCI, "repo", "index", repo, "--url", f"{base}/r{i}"], check=True, env=env)
        chart_yaml = chart_yaml.replace(url, f"{base}/r{i}")
    # The vendored charts that a repository provides (the others, like kube-prometheus-stack's
    # crds, have no repository and stay in charts/).
    for block in re.split(r"\n\s*-\s+", chart_yaml.split("dependencies:", 1)[-1]):
        m = re.search(r"name:\s*['\"]?([\w.-]+)", block)
        if m and "repository:" in block and m.group(1) in vendored:
            remote.add(m.group(1))
    count = len(re.findall(r"repository:\s*['\"]?https?://", chart_yaml))
    return DependencyCase(f"{name} ({count} deps)", os.path.join(tmp, "real-deps", name), chart_yaml, len(remote),
                          base=src, skip=remote)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--ops", default="package,push,pull,dependency")
    ap.add_argument("--charts", default="small,templates2000,big80mib")
    ap.add_argument("--registry-storage", choices=["disk", "tmpfs"], default="disk",
                    help="where the registry keeps its data: a directory on disk (it fsyncs "
                         "every blob and link it writes) or /dev/shm (isolates the clients)")
    ap.add_argument("--real-charts", metavar="DIR",
                    help="also measure every chart directory in DIR (e.g. public charts "
                         "exported from their repositories, subcharts vendored in charts/)")
    args = ap.parse_args()
    ops = args.ops.split(",")
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "helmoci-examples", "-p", "helmoci-benches"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp(prefix="side-by-side-")
    charts_dir = os.path.join(tmp, "charts")
    subprocess.run([os.path.join(ROOT, "target", "release", "make-charts"), charts_dir], check=True, stdout=subprocess.DEVNULL)
    registry = None
    servers = []
    if {"push", "pull", "dependency"} & set(ops):
        if args.registry_storage == "tmpfs":
            data_dir = tempfile.mkdtemp(prefix="side-by-side-registry-", dir="/dev/shm")
        else:
            data_dir = os.path.join(tmp, "registry-data")
        registry, port = start_registry(tmp, data_dir)
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    rows = []
    try:
        sources = [(c, os.path.join(charts_dir, c)) for c in args.charts.split(",") if c]
        if args.real_charts:
            for name in sorted(os.listdir(args.real_charts)):
                path = os.path.join(args.real_charts, name)
                if os.path.isfile(os.path.join(path, "Chart.yaml")):
                    sources.append((name, path))
        for chart, src in sources:
            tgz_dir = os.path.join(tmp, "tgz", chart)
            os.makedirs(tgz_dir, exist_ok=True)
            subprocess.run([HELMOCI, "package", src, "-d", tgz_dir], check=True, stdout=subprocess.DEVNULL, env=env)
            (archive,) = os.listdir(tgz_dir)
            tgz = os.path.join(tgz_dir, archive)
            version = archive[len(chart) + 1:-len(".tgz")]
            for op in [o for o in ops if o != "dependency"]:
                ours, helm = [], []
                for run in range(args.runs):
                    out = os.path.join(tmp, "out", op, str(run))
                    os.makedirs(out, exist_ok=True)
                    if op == "package":
                        o = [HELMOCI, "package", src, "-d", out]
                        hp = [PY, "-c", HELM_SNIPPET, "package", src, out]
                    elif op == "push":
                        o = [HELMOCI, "push", tgz, f"oci://127.0.0.1:{port}/ours{run}", "--plain-http"]
                        hp = [PY, "-c", HELM_SNIPPET, "push", tgz, f"oci://127.0.0.1:{port}/helm{run}"]
                    else:
                        os.makedirs(out + "-helm", exist_ok=True)
                        o = [HELMOCI, "pull", f"oci://127.0.0.1:{port}/ours0/{chart}", "--version", version, "-d", out, "--plain-http"]
                        hp = [PY, "-c", HELM_SNIPPET, "pull", f"oci://127.0.0.1:{port}/helm0/{chart}", version, out + "-helm"]
                    wall, cpu, rss, _ = run_measured(o, env)
                    ours.append((wall, cpu, rss))
                    wall, cpu, rss, text = run_measured(hp, env)
                    helm.append((wall, cpu, rss, json.loads(text.strip().splitlines()[-1])["sdk"]))
                med = lambda xs, i: statistics.median(x[i] for x in xs)
                if op == "push":  # a fresh repository, so that the blobs really upload
                    o = o[:3] + [f"oci://127.0.0.1:{port}/ours-rss"] + o[4:]
                    hp = hp[:5] + [f"oci://127.0.0.1:{port}/helm-rss"]
                ours_rss = peak_rss(o, env) or max(x[2] for x in ours)
                helm_rss = peak_rss(hp, env) or max(x[2] for x in helm)
                rows.append((op, chart, med(ours, 0), med(ours, 1), ours_rss,
                             med(helm, 0), med(helm, 3), med(helm, 1), helm_rss))
        if "dependency" in ops:
            cases = [umbrella_case(tmp, port, env, servers)]
            if args.real_charts:
                for chart, src in sources:
                    if src.startswith(args.real_charts):
                        case = real_case(tmp, chart, src, env, servers)
                        if case:
                            cases.append(case)
            for case in cases:
                ours, helm = [], []
                for run in range(args.runs):
                    d, e = case.fresh(f"ours{run}", env)
                    ours.append(run_measured([HELMOCI, "dependency", "update", d, "--plain-http"], e))
                    got = case.written(d)
                    d, e = case.fresh(f"helm{run}", env)
                    wall, cpu, rss, text = run_measured([PY, "-c", HELM_SNIPPET, "dependency", d], e)
                    if case.written(d) != got:  # both sides wrote the same archives
                        raise SystemExit(f"{case.label}: Helm wrote {case.written(d)}, helmoci {got}")
                    helm.append((wall, cpu, rss, json.loads(text.strip().splitlines()[-1])["sdk"]))
                med = lambda xs, i: statistics.median(x[i] for x in xs)
                d, e = case.fresh("ours-rss", env)
                ours_rss = peak_rss([HELMOCI, "dependency", "update", d, "--plain-http"], e) or max(x[2] for x in ours)
                d, e = case.fresh("helm-rss", env)
                helm_rss = peak_rss([PY, "-c", HELM_SNIPPET, "dependency", d], e) or max(x[2] for x in helm)
                rows.append(("dependency update", case.label, med(ours, 0), med(ours, 1), ours_rss,
                             med(helm, 0), med(helm, 3), med(helm, 1), helm_rss))
    finally:
        for server in servers:
            server.shutdown()
        if registry:
            registry.kill()
            shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    storage = f", registry storage on {args.registry_storage}" if registry else ""
    print(f"# side by side, {time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, median of {args.runs}{storage}")
    print("| operation | chart | helmoci wall | helmoci CPU | helmoci RSS | Helm wall (process) | Helm SDK call | Helm CPU | Helm RSS | ratio vs process | ratio vs SDK call |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for op, chart, ow, oc, orss, hw, hs, hc, hrss in rows:
        print(f"| {op} | {chart} | {ow*1000:.1f} ms | {oc*1000:.1f} ms | {orss:.1f} MiB | {hw*1000:.1f} ms | {hs*1000:.1f} ms | {hc*1000:.1f} ms | {hrss:.1f} MiB | {hw/ow:.2f}x | {hs/ow:.2f}x |")


if __name__ == "__main__":
    main()
