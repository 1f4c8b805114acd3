#!/bin/bash
# `cmake --install` puts every file where the install rules say, into a
# temp prefix (and a DESTDIR, so a rule with an absolute destination cannot
# escape into the host either): binaries that run, the systemd unit with its
# paths filled in, the man pages rendering without a warning, the
# configuration, and the example containers only as *.example. Needs no
# root and no supd.
set -eu

SUP_BUILD=${SUP_BUILD:?set SUP_BUILD to the build directory}
SUP_SRC=${SUP_SRC:?set SUP_SRC to the source directory}
TEST_NAME=$(basename "$0" .sh)
FAILURES=0

fail() {
	echo "FAIL: $*"
	FAILURES=$((FAILURES + 1))
}
pass() { echo "ok: $*"; }

T=$(mktemp -d "/tmp/sup-$TEST_NAME.XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
# man-db may read the pages as its own user when run as root.
chmod 755 "$T"
ROOT=$T/root
PREFIX=/prefix

# The cmake that configured the build.
CMAKE=$(sed -n 's/^CMAKE_COMMAND:INTERNAL=//p' "$SUP_BUILD/CMakeCache.txt" 2>/dev/null)
[ -x "$CMAKE" ] || CMAKE=cmake

if ! DESTDIR=$ROOT "$CMAKE" --install "$SUP_BUILD" --prefix "$PREFIX" >"$T/install.log" 2>&1; then
	cat "$T/install.log"
	echo "FAIL: cmake --install $SUP_BUILD failed"
	exit 1
fi
pass "cmake --install into $ROOT$PREFIX"

# ---- every file, and nothing active that should not be ----
# Found by their place in the tree rather than computed from the cache, so
# that a build configured with other directories passes too; with the
# defaults they are bin/, share/man/man[58]/, lib/systemd/system/, etc/sup/.
# installed NAME SUFFIX: set $NAME to the one installed file ending in SUFFIX.
installed() {
	local found
	found=$(find "$ROOT" -type f -path "*/$2")
	if [ -z "$found" ]; then
		fail "nothing installed as .../$2"
	elif [ "$(echo "$found" | wc -l)" != 1 ]; then
		fail "more than one .../$2: $found"
	else
		pass "installed ${found#"$ROOT"}"
		printf -v "$1" %s "$found"
		return
	fi
	printf -v "$1" %s "$T/missing/$2"
}
installed SUPD bin/supd
installed SUPCTL bin/supctl
installed SUPINIT sup/sup-init
installed UNIT systemd/system/supd.service
installed MAN_SUPD man8/supd.8
installed MAN_SUPCTL man8/supctl.8
installed MAN_CONF man5/supd.conf.5
installed CONF sup/supd.conf
installed EXAMPLE sup/containers.d/hello.conf.example
if [ -z "$(find "$ROOT" -path '*/containers.d/*.conf')" ]; then
	pass "the example containers are not active (no containers.d/*.conf)"
else
	fail "a containers.d/*.conf is installed: its containers would run by default"
fi
n=$(find "$ROOT" -type f | wc -l)
if [ "$n" = 9 ]; then
	pass "nothing else installed"
else
	fail "$n files installed, 9 expected: $(cd "$ROOT" && find . -type f | sort | tr '\n' ' ')"
fi

# supd finds sup-init by a path relative to its own directory, compiled in.
rel=$(realpath --relative-to="$(dirname "$SUPD")" "$SUPINIT" 2>/dev/null || echo "?")
if grep -aqF -- "$rel" "$SUPD" 2>/dev/null; then
	pass "supd looks for sup-init at $rel from its own directory"
else
	fail "supd does not know sup-init's installed path $rel"
fi
if [ -x "$SUPINIT" ] && file -b "$SUPINIT" | grep -q 'statically linked'; then
	pass "sup-init is a static executable"
else
	fail "sup-init is not a static executable: $(file -b "$SUPINIT" 2>&1)"
fi
st=0
"$SUPINIT" /bin/sh -c 'exit 3' || st=$?
if [ $st = 3 ]; then pass "sup-init passes on the command's exit status"; else fail "sup-init exited $st, want 3"; fi

for b in "$SUPD" "$SUPCTL"; do
	v=$("$b" --version 2>&1) || true
	if [ "$v" = "$(basename "$b") $(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$SUP_BUILD/CMakeCache.txt")" ]; then
		pass "$(basename "$b") --version: $v"
	else
		fail "$b --version: '$v'"
	fi
done
for pair in "etc/supd.conf:$CONF" "etc/containers.d/hello.conf:$EXAMPLE" \
	"doc/supd.8:$MAN_SUPD" "doc/supctl.8:$MAN_SUPCTL" "doc/supd.conf.5:$MAN_CONF"; do
	src=${pair%%:*} dst=${pair#*:}
	[ -f "$dst" ] || continue
	if cmp -s "$SUP_SRC/$src" "$dst"; then
		pass "${dst#"$ROOT"} is $src"
	else
		fail "${dst#"$ROOT"} differs from $src"
	fi
done

# ---- the unit ----
if [ -f "$UNIT" ]; then
	if grep -n '@[A-Za-z_]*@' "$UNIT"; then
		fail "supd.service has unsubstituted @VARIABLES@"
	else
		pass "supd.service has every @VARIABLE@ filled in"
	fi
	for kv in Type=notify Delegate=yes KillMode=process Restart=on-failure OOMPolicy=continue \
		RuntimeDirectory=sup StateDirectory=sup LogsDirectory=sup; do
		if grep -qx "$kv" "$UNIT"; then pass "supd.service: $kv"; else fail "supd.service lacks $kv"; fi
	done
	exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
	case $exec_start in
	/*/supd\ -c\ /*/sup/supd.conf) pass "ExecStart=$exec_start" ;;
	*) fail "ExecStart is '$exec_start'; expected <bindir>/supd -c <sysconfdir>/sup/supd.conf" ;;
	esac
	# systemd-analyze checks every directive (an unknown one is only a
	# warning, so its output must be empty), that ExecStart is executable
	# (the supd just installed stands in for the configured path) and that
	# the Documentation= pages exist (MANPATH: the ones just installed).
	if command -v systemd-analyze >/dev/null; then
		mkdir -p "$T/unit"
		sed "s|^ExecStart=[^ ]*/supd |ExecStart=$SUPD |" "$UNIT" >"$T/unit/supd.service"
		mandir=$(dirname "$(dirname "$MAN_SUPD")")
		out=$(MANPATH=$mandir systemd-analyze verify "$T/unit/supd.service" 2>&1) || true
		if [ -z "$out" ]; then
			pass "systemd-analyze verify supd.service"
		else
			fail "systemd-analyze verify supd.service: $out"
		fi
	else
		echo "skip: systemd-analyze is not installed; supd.service not verified"
	fi
fi

# ---- the man pages ----
PAGES="$MAN_SUPD $MAN_SUPCTL $MAN_CONF"
if command -v man >/dev/null; then
	for page in $PAGES; do
		[ -f "$page" ] || continue
		out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >"$T/rendered") || true
		if [ -n "$out" ]; then
			fail "man --warnings -l ${page#"$ROOT"}: $out"
		elif ! grep -q '^SEE ALSO' "$T/rendered"; then
			fail "man -l ${page#"$ROOT"} rendered no SEE ALSO section"
		else
			pass "man -l ${page#"$ROOT"} renders without warnings"
		fi
	done
else
	echo "skip: man is not installed (apt-get install man-db); the pages were not rendered"
fi
if command -v mandoc >/dev/null; then
	for page in $PAGES; do
		[ -f "$page" ] || continue
		out=$(mandoc -T lint -W style "$page" 2>&1) || true
		if [ -z "$out" ]; then
			pass "mandoc -T lint ${page#"$ROOT"}"
		else
			fail "mandoc -T lint: $out"
		fi
	done
fi

if [ $FAILURES -ne 0 ]; then
	echo "$TEST_NAME: $FAILURES check(s) failed"
	exit 1
fi
echo "$TEST_NAME: all checks passed"
