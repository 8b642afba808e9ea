# Sourced by the shell tests: PASS/FAIL lines and the closing
# "N passed, N failed" line that the Python tests print too.
passed=0
failed=0
pass() {
	echo "PASS $1"
	passed=$((passed + 1))
}
fail() {
	echo "FAIL $1: $2"
	failed=$((failed + 1))
}
# Print the closing line and exit 0 only when nothing failed.
finish() {
	echo "$passed passed, $failed failed"
	test "$failed" -eq 0
	exit $?
}
