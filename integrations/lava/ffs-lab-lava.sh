#!/bin/sh
# Run one ffs-lab verb inside a LAVA test shell: `ffs-lab-lava.sh DIR lab|run [OPTIONS...]`.
# ffs-lab sends each test to LAVA as it finishes (--lava: lava-test-set per suite, lava-test-case
# per test and measurement, lava-test-raise on an infrastructure error); this script adds one case,
# `ffs-lab-verdict`, with the run's verdict, and keeps the reports in $LAVA_RESULT_DIR.
set -u
dir=${1:?usage: ffs-lab-lava.sh DIR lab|run [OPTIONS...]}
verb=${2:?usage: ffs-lab-lava.sh DIR lab|run [OPTIONS...]}
shift 2
case "$verb" in
  lab|run) ;;
  *) echo "ffs-lab-lava.sh: the verb must be lab or run (got '$verb')" >&2; exit 2 ;;
esac
# Absolute before the cd: without a LAVA_RESULT_DIR the reports go where the script was started.
reports="${LAVA_RESULT_DIR:-$PWD}/ffs-lab-reports"
cd "$dir" || exit 2
node bin/ffs-lab.js "$verb" --lava --report-dir "$reports" "$@"
code=$?
case $code in
  0) verdict=pass ;;
  4) verdict=skip ;;
  *) verdict=fail ;;
esac
if command -v lava-test-case > /dev/null 2>&1; then
  lava-test-case ffs-lab-verdict --result "$verdict"
else
  echo "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=ffs-lab-verdict RESULT=$verdict>"
fi
echo "ffs-lab-lava.sh: ffs-lab $verb exited $code; reports in $reports"
exit "$code"
