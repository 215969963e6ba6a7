"""compose.yaml, checked as far as this machine allows: Debian bookworm's podman-compose (1.0.3)
has no `config` command and ignores depends_on conditions and network subnets, and no registry
serves the compose-spec schema here. So: the file parses, each service has an image or a build
folder with a Dockerfile, every depends_on names a service, the service waits for a healthy
database, nginx waits for a healthy service and calls its ingest hooks with its INGEST_TOKEN, and
the receiver's network is one the SSRF guard lets through."""
import ipaddress
import pathlib
import re
import sys

import yaml

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
compose = yaml.safe_load((root / "compose.yaml").read_text())
services = compose["services"]
problems = []

for name, service in services.items():
    if "image" not in service and "build" not in service:
        problems.append(f"{name}: neither image nor build")
    if "build" in service and not (root / service["build"] / "Dockerfile").is_file():
        problems.append(f"{name}: no Dockerfile in {service['build']}")
    depends = service.get("depends_on", {})
    for other in depends:
        if other not in services:
            problems.append(f"{name}: depends on unknown service {other}")

app, db, nginx = services["app"], services["db"], services["nginx-rtmp"]
if app["depends_on"]["db"].get("condition") != "service_healthy" or "healthcheck" not in db:
    problems.append("app must wait for a healthy db")
if nginx["depends_on"]["app"].get("condition") != "service_healthy":
    problems.append("nginx-rtmp must wait for a healthy app (the image's HEALTHCHECK)")
if not app["environment"]["DATABASE_URL"].startswith("mysql://") or "@db:" not in app["environment"]["DATABASE_URL"]:
    problems.append("app must use the db service")

conf = (root / nginx["build"] / "nginx.conf").read_text()
token = app["environment"]["INGEST_TOKEN"]
for hook in ("on_publish", "on_publish_done"):
    path = hook.removeprefix("on_")
    if not re.search(rf"^\s*{hook}\s+http://app:3000/v1/ingest/nginx-rtmp/{path}\?token={re.escape(token)};", conf, re.M):
        problems.append(f"nginx.conf: {hook} must call app:3000 with the INGEST_TOKEN")

subnet = ipaddress.ip_network(compose["networks"]["stack"]["ipam"]["config"][0]["subnet"])
allowed = [ipaddress.ip_network(c) for c in app["environment"]["DELIVERY_ALLOWED_CIDRS"].split(",")]
if not any(subnet.subnet_of(c) for c in allowed):
    problems.append("DELIVERY_ALLOWED_CIDRS must take in the stack's network (the receiver)")

if problems:
    sys.exit("compose.yaml: " + "; ".join(problems))
print(f"compose.yaml: {len(services)} services checked ({', '.join(services)})")
