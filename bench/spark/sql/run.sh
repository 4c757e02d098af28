#!/bin/bash
# Differential check of dstreams' Spark SQL against real Apache Spark 3.5.3 (spark-sql_2.12,
# session time zone UTC, local[1]): each expression of a list is run as `SELECT <expr>` (`T` lines
# over the table t of table.ts) on both sides; the column's name, its type and its values as Spark's
# show() prints them are compared. Prints the counts; the differences go to the report file.
#
#   bash bench/spark/sql/run.sh [exprs.txt] [outdir=/tmp/dstreams-sqldiff]
#
# Without a list, gen.ts writes the standard one (~1,900 expressions: the date and time functions,
# casts, string and number functions, NULL logic, LIKE, literals and their names). A list is one
# expression a line, `1<TAB>expr` (no table) or `T<TAB>expr`. First run: Maven builds java/ and
# downloads Spark's jars into ~/.m2 (~180 MB). Needs a JDK >= 17 and Maven. Dec 5: 1,880 compared,
# 1,280 matched before that day's SQL fixes (the differences and what was fixed: the closing note).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${2:-/tmp/dstreams-sqldiff}"
mkdir -p "$out"
command -v java > /dev/null || { echo "run.sh: java (JDK >= 17) not found" >&2; exit 1; }
command -v mvn > /dev/null || { echo "run.sh: mvn (Maven) not found" >&2; exit 1; }
exprs="${1:-$out/exprs.txt}"
cd "$root"
[ -n "${1:-}" ] || npx tsx "$here/gen.ts" "$exprs"
npx tsx "$here/mktable.ts" "$out/table.sql"
[ -f "$here/java/target/sqldiff.jar" ] || mvn -B -q -f "$here/java/pom.xml" package
FLAGS="-XX:+IgnoreUnrecognizedVMOptions -Djdk.reflect.useDirectMethodHandle=false -Duser.timezone=UTC"
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent java.util.concurrent.atomic jdk.internal.ref sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do FLAGS="$FLAGS --add-opens=java.base/$p=ALL-UNNAMED"; done
(cd "$out" && java -Xmx2g $FLAGS -cp "$here/java/target/sqldiff.jar:$(cat "$here/java/target/classpath.txt")" sqldiff.Main "$exprs" "$out/table.sql" "$out/spark.jsonl" 2> "$out/spark.log")
npx tsx "$here/ours.ts" "$exprs" "$out/ours.jsonl"
node "$here/compare.mjs" "$out/spark.jsonl" "$out/ours.jsonl" "$out/report.txt"
echo "report: $out/report.txt"
