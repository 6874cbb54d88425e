#!/usr/bin/env bash
# Builds the worker image (default mechanize/worker:latest) from this checkout.
#   images/worker/build.sh            build (reuses target/jre when present)
# Needs: docker, the local image debian:bookworm-slim, a JDK >= 24 with jlink (JAVA_HOME, default
# the host's Temurin 25; the ENTRYPOINT's --sun-misc-unsafe-memory-access needs 23+), and a built
# producer-cli/target/mechanize-cli.jar with its lib/ (mvn -B -DskipTests package).
set -euo pipefail

IMAGE="${WORKER_IMAGE:-mechanize/worker:latest}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
JDK="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
# the CLI and its clients: HTTP server (/metrics), JMX-free management, TLS/SASL, Unsafe for Kafka
JRE_MODULES="java.base,java.logging,java.management,java.naming,java.net.http,java.security.jgss,\
java.security.sasl,java.sql,java.xml,jdk.crypto.ec,jdk.httpserver,jdk.management,jdk.naming.dns,\
jdk.net,jdk.security.auth,jdk.unsupported,jdk.zipfs,java.desktop,java.compiler,java.instrument,jdk.jfr"

log() { printf '[worker-image] %s\n' "$*"; }

jdk_major="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$JDK/release" 2>/dev/null || true)"
(( ${jdk_major:-0} >= 24 )) \
  || { log "$JDK is not a JDK >= 24 (found '${jdk_major:-none}'): set JAVA_HOME to one (jlink makes the image's runtime)" >&2; exit 1; }
[[ -f "$ROOT/producer-cli/target/mechanize-cli.jar" ]] \
  || { log "producer-cli/target/mechanize-cli.jar is missing: run mvn -B -DskipTests package first" >&2; exit 1; }
if [[ ! -x "$HERE/target/jre/bin/java" ]]; then
  log "making a Java runtime with jlink from $JDK"
  rm -rf "$HERE/target/jre"
  "$JDK/bin/jlink" --add-modules "$JRE_MODULES" --strip-debug --no-man-pages --no-header-files \
    --compress=zip-6 --output "$HERE/target/jre"
fi
rm -rf "$HERE/target/app"
mkdir -p "$HERE/target/app/lib" "$HERE/target/app/own"
cp "$ROOT/producer-cli/target/mechanize-cli.jar" "$HERE/target/app/"
# third-party jars (a layer that stays cached across builds) apart from this project's own
cp -p "$ROOT"/producer-cli/target/lib/*.jar "$HERE/target/app/lib/"
mv "$HERE"/target/app/lib/mechanize-*.jar "$HERE/target/app/own/"
docker build -q --label mechanize.image=worker -t "$IMAGE" "$HERE" >/dev/null
log "built $IMAGE"
