#!/usr/bin/env bash
# Runs a Java program of this folder with the Pulsar Java client (the version pom.xml
# names) on its classpath: run.sh PatternConsumer <args...>. Needs a JDK (17+) and Maven.
set -euo pipefail
cd "$(dirname "$0")"
main=$1
shift
cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
mvn -q -B dependency:build-classpath -Dmdep.outputFile="$cp_file" >&2
java -cp "$(cat "$cp_file")" "$main.java" "$@"
