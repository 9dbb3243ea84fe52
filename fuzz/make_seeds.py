#!/usr/bin/env python3
"""Writes fuzz/corpus/<target>/seed-* from the repository's test fixtures.

Run from anywhere; it is idempotent. scripts/fuzz.sh calls it when a corpus is empty.
"""
import gzip
import hashlib
import io
import json
import os
import pathlib
import tarfile

fuzz = pathlib.Path(__file__).resolve().parent
root = fuzz.parent
core = root / "helmoci-core" / "tests" / "fixtures"


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = fuzz / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    name = "seed-" + hashlib.sha256(data).hexdigest()[:16]
    (d / name).write_bytes(data)


# Chart.yaml: every fixture chart, and the YAML baseline inputs.
for p in sorted(root.glob("**/Chart.yaml")):
    if "target" in p.parts or not p.is_file():
        continue
    put("chart_yaml", p.read_bytes())
yb = json.loads((core / "baseline" / "yaml_baseline.json").read_text())
for case in yb["cases"]:
    if isinstance(case.get("input"), str):
        put("chart_yaml", case["input"])

# .helmignore: rules, NUL, the file list of each baseline case.
ib = json.loads((core / "baseline" / "ignore_baseline.json").read_text())
for case in ib["cases"]:
    rules = case.get("helmignore") or ""
    files = [f for f in case.get("files", []) if isinstance(f, str)]
    put("helmignore", rules + "\0" + "\n".join(files[:64]))

# Versions and constraints: a constraint line, then versions.
vb = json.loads((core / "baseline" / "version_baseline.json").read_text())
versions = [v for v in vb["versions"] if isinstance(v, str)]
for i, c in enumerate(vb["constraints"]):
    sample = versions[i % len(versions):][:8] + ["latest", "1.2.3_build.1", "v1.0.0"]
    put("version", c["constraint"] + "\n" + "\n".join(sample))
for cv in vb.get("chart_versions", []):
    put("version", "*\n" + cv["version"])

# References.
for r in [
    "oci://localhost:5000/charts/demo:0.1.0",
    "oci://r.example/ns/sub/demo:1.0.0+build.1",
    "oci://r.example/a__b/c-d--e.f:1.0.0_x.y@sha256:" + "a" * 64,
    "oci://[::1]:5000/c@sha256:" + "0123456789abcdef" * 4,
    "oci://docker.io/me/c",
    "oci-layout:///tmp/store/demo:1.2.3",
    "oci-layout://relative/dir/demo@sha256:" + "f" * 64,
    "oci://127.0.0.1:5000",
    "oci://r.io/x:1",
]:
    put("reference", r)

# Archives: the fixture .tgz files as is, and their tar streams behind a 'T'.
for p in sorted(root.glob("**/*.tgz")):
    if "target" in p.parts or "fuzz" in p.parts:
        continue
    raw = p.read_bytes()
    if len(raw) > 64 * 1024:
        continue
    put("archive", raw)
    try:
        put("archive", b"T" + gzip.decompress(raw))
    except OSError:
        pass
# A small chart built here, with a subchart.
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
    for name, body in [
        ("demo/Chart.yaml", b"apiVersion: v2\nname: demo\nversion: 0.1.0\n"),
        ("demo/values.yaml", b"a: 1\n"),
        ("demo/templates/cm.yaml", b"kind: ConfigMap\n"),
        ("demo/charts/sub/Chart.yaml", b"apiVersion: v2\nname: sub\nversion: 1.0.0\n"),
    ]:
        info = tarfile.TarInfo(name)
        info.size = len(body)
        info.mtime = 1700000000
        t.addfile(info, io.BytesIO(body))
put("archive", b"T" + buf.getvalue())
put("archive", gzip.compress(buf.getvalue(), mtime=0))

# Manifests and config blobs (first byte selects the Content-Type).
demo = ('{"schemaVersion":2,"config":{"mediaType":"application/vnd.cncf.helm.config.v1+json",'
        '"digest":"sha256:ff1a5b6b030beb6d80ed19ee6573edf7de40803ef73c8502cffb6f2a10ba39d7","size":138},'
        '"layers":[{"mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip",'
        '"digest":"sha256:b6bd578c35008da82214ad2769a9dcbadc53b8cc085f89186f831b7e568996fd","size":392}],'
        '"annotations":{"org.opencontainers.image.created":"2023-11-14T22:13:20Z",'
        '"org.opencontainers.image.title":"demo","org.opencontainers.image.version":"0.1.0"}}')
put("manifest", b"\x00" + demo.encode())
put("manifest", b"\x01" + demo.replace("application/vnd.cncf.helm.chart.content.v1.tar+gzip", "application/tar+gzip").encode())
put("manifest", b"\x02" + ('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":['
                            '{"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.cncf.helm.config.v1+json",'
                            '"digest":"sha256:' + "1" * 64 + '","size":578}]}').encode())
put("manifest", b"\x00" + b'{"name":"demo","version":"0.1.0","description":"A Helm chart for Kubernetes","apiVersion":"v2","appVersion":"1.16.0","type":"application"}')

# WWW-Authenticate.
for h in [
    'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:ns/c:pull,push",error="insufficient_scope"',
    'Basic realm="Registry Realm"',
    'bearer realm=https://a/t, service=s, scope="repository:a:pull repository:b:*"',
    'Bearer realm="q\\"uoted",scope="registry:catalog:*"',
]:
    put("www_authenticate", h)

# index.yaml and Chart.lock.
put("index_yaml", """apiVersion: v1
entries:
  demo:
  - apiVersion: v2
    created: "2023-11-14T22:13:20Z"
    digest: b6bd578c35008da82214ad2769a9dcbadc53b8cc085f89186f831b7e568996fd
    name: demo
    urls:
    - demo-0.1.0.tgz
    version: 0.1.0
  sub:
  - name: sub
    version: 1.0.0+b
    urls: [https://example.com/charts/sub-1.0.0+b.tgz]
    dependencies:
    - name: x
      version: ~1.2
      repository: oci://r.example/ns
generated: "2023-11-14T22:13:20Z"
""")
put("index_yaml", '{"apiVersion":"v1","entries":{"a":[{"name":"a","version":"1.0.0","urls":["a-1.0.0.tgz"]}]},"generated":"2024-01-01T00:00:00Z"}')
put("chart_lock", """dependencies:
- name: sub
  repository: oci://r.example/ns
  version: 1.2.3
- name: other
  repository: https://charts.example.com
  version: 0.1.0+b
digest: sha256:2bd2f1c0bd9e5c3bbba9c5e0c6b7c2f0a3a2e1bba1c4c3f0e6d5c4b3a2918070
generated: "2023-11-14T22:13:20Z"
""")
put("chart_lock", "dependencies: []\ndigest: sha256:x\ngenerated: \"2024-01-01T00:00:00.123456789+01:00\"\n")

for t in sorted((fuzz / "corpus").iterdir()):
    print(f"{t.name}: {len(list(t.iterdir()))} seeds")
