#!/usr/bin/env bash
# Builds the stand-in apache/kafka:4.4.0 image (see README.md next to it) when it is missing.
# Use it only where no registry can be reached; elsewhere pull the official image.
#   images/kafka-standin/build.sh          build if the image is missing
#   images/kafka-standin/build.sh --force  rebuild
# Needs: docker, Maven, a JDK >= 21 with jmods (JAVA_HOME, default the host's Temurin 25), the
# local image debian:bookworm-slim.
set -euo pipefail

IMAGE="${KAFKA_STANDIN_IMAGE:-apache/kafka:4.4.0}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JDK="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
# The modules the broker needs (JMX, SASL/GSSAPI/JAAS, Log4j 2, Unsafe for compression codecs),
# plus remote JMX and the diagnostic basics; about 80 MB.
JRE_MODULES="java.base,java.compiler,java.desktop,java.instrument,java.logging,java.management,\
java.management.rmi,java.naming,java.net.http,java.rmi,java.scripting,java.security.jgss,\
java.security.sasl,java.sql,java.xml,jdk.charsets,jdk.crypto.cryptoki,jdk.crypto.ec,jdk.jfr,\
jdk.management,jdk.management.agent,jdk.naming.dns,jdk.net,jdk.security.auth,jdk.security.jgss,\
jdk.unsupported,jdk.zipfs"

log() { printf '[kafka-standin] %s\n' "$*"; }

if [[ "${1:-}" != "--force" ]] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "image $IMAGE exists, nothing to do (--force rebuilds)"
  exit 0
fi
if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
  log "base image debian:bookworm-slim is missing: pull it or make the local stand-in (.ci/run does)" >&2
  exit 1
fi
if [[ ! -x "$JDK/bin/jlink" ]]; then
  log "no jlink in $JDK: set JAVA_HOME to a JDK >= 21" >&2
  exit 1
fi

start=$SECONDS
log "fetching the Kafka 4.4.0 broker jars with Maven"
rm -rf "$HERE/target/libs"
JAVA_HOME="$JDK" mvn -B -q -f "$HERE/pom.xml" package

if [[ ! -x "$HERE/target/jre/bin/java" ]]; then
  log "making a Java runtime with jlink from $JDK"
  rm -rf "$HERE/target/jre"
  if ! "$JDK/bin/jlink" --add-modules "$JRE_MODULES" --strip-debug --no-man-pages --no-header-files \
      --compress=zip-6 --generate-cds-archive --output "$HERE/target/jre"; then
    rm -rf "$HERE/target/jre"
    log "jlink failed: it needs the JDK's jmods (Debian: apt-get install openjdk-21-jmods) or a JDK 24+" \
      "that links from its run-time image (e.g. Temurin 25); set JAVA_HOME to such a JDK" >&2
    exit 1
  fi
fi

log "building $IMAGE"
docker build --label mechanize.standin=true -t "$IMAGE" "$HERE"
log "built $IMAGE in $((SECONDS - start)) s ($(du -sh "$HERE/target/jre" | cut -f1) runtime, $(du -sh "$HERE/target/libs" | cut -f1) jars)"
