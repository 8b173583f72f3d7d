# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# sshd.sh — a throwaway OpenSSH server on 127.0.0.1 for end-to-end tests.
# Source it from a bash test after tests/lib/common.sh (its skip() is how
# this file skips); everything lives in a directory the test owns.
#
#   . "$MECH_SOURCE_DIR/tests/lib/common.sh"
#   . "$MECH_SOURCE_DIR/tests/lib/sshd.sh"
#   dir=$(mktemp -d)
#   sshd_copy_command "$MECH"                          # for an AuthorizedKeysCommand
#   sshd_start "$dir" "AuthorizedKeysCommand $SSHD_COMMAND ssh-keys %u %t %k" …
#   sshd_mech_conf "$SSHD_COMMAND" "$MECH_HOME" root   # or: the shipped snippet
#   sshd_start "$dir" "${SSHD_MECH_CONF[@]}"
#   sshd_start "$dir"                                  # or: sshd_start "$dir" 'SetEnv TZ=UTC' …
#   sshd_keygen "$dir/alice"                           # client key: alice, alice.pub
#   sshd_authorize "$dir/alice.pub" 'command="/bin/echo hello",restrict'
#   ssh $(sshd_client_opts) -i "$dir/alice" -T root@127.0.0.1 -- app list
#   sshd_ssh -i "$dir/alice" -T root@127.0.0.1 -- app list     # the same
#   sshd_stop                                          # also happens on exit
#
# What it sets up: host key, sshd_config, PidFile and the log
# ($SSHD_LOG, LogLevel VERBOSE) in DIR; a free port chosen at run time
# ($SSHD_PORT); `StrictModes no`, `UsePAM no`, `PasswordAuthentication no`,
# `DisableForwarding yes`, `PermitRootLogin prohibit-password`, keys from
# DIR/authorized_keys. The client side trusts only DIR's host key and uses
# only the identity given with -i, never ~/.ssh or an agent.
#
# Extra arguments to sshd_start are sshd_config lines. sshd keeps the FIRST
# value it reads for a keyword, so they are written before the defaults and
# win over them; from the first `Match` line on they go to the end of the
# file. An `AuthorizedKeysCommand PATH …` is checked the way sshd checks it
# (PATH and every directory above it root-owned, not group/world-writable)
# and the test fails with an explanation if it would not be run. A binary
# in a build tree under /tmp or a home directory never passes that check:
# sshd_copy_command copies it into a fresh root-owned directory under /run
# (SSHD_COMMAND), removed when the test exits, so the tests run wherever the
# clone is.
#
# Safe under `set -euo pipefail`. Skips (common.sh's skip: strict mode fails)
# rather than fails when the machine cannot run the test: not root, root's
# account locked for sshd. A missing sshd or ssh (make deps installs them)
# is a failure.

SSHD_BIN=${SSHD_BIN:-/usr/sbin/sshd}
SSHD_HOST=127.0.0.1
SSHD_START_TIMEOUT=${SSHD_START_TIMEOUT:-30}   # seconds: a hang guard
SSHD_DIR=
SSHD_PORT=
SSHD_PID=
SSHD_LOG=
SSHD_CONFIG=
SSHD_KNOWN_HOSTS=
SSHD_COMMAND=
_SSHD_COPIES=()

# The machine cannot run this test. common.sh's skip is the one way to skip;
# without it, not being able to run is a failure, never a silent pass.
sshd_skip() {
	if declare -F skip >/dev/null; then
		skip "$*"
	fi
	echo "sshd.sh: cannot run here ($*), and skip() is missing: source tests/lib/common.sh first" >&2
	exit 1
}

_sshd_fail() {
	echo "sshd.sh: $*" >&2
	return 1
}

# Debian's sshd also accepts a group-writable path when the group's only
# member is the path's owner (user-private groups); upstream sshd does not.
_sshd_group_is_owner_only() {
	local gid=$1 uid=$2 owner puid pgid members=0 line extra
	owner=$(getent passwd "$uid" | cut -d: -f1) || return 1
	while IFS=: read -r _ _ puid pgid _; do
		if [ "$pgid" = "$gid" ]; then
			members=$((members + 1))
			[ "$puid" = "$uid" ] || return 1
		fi
	done < <(getent passwd)
	line=$(getent group "$gid") || return 1
	extra=${line##*:}
	if [ -n "$extra" ]; then
		members=$((members + 1))
		[ "$extra" = "$owner" ] || return 1
	fi
	[ "$members" -gt 0 ]
}

# sshd_check_command_path PATH — would sshd run PATH as an AuthorizedKeysCommand?
# sshd checks the file and every directory above it: owned by root, not
# world-writable, not group-writable (but see above). Prints why not; returns 1.
sshd_check_command_path() {
	local path=$1 p uid gid mode why
	case $path in
	/*) ;;
	*) _sshd_fail "AuthorizedKeysCommand $path is not an absolute path"; return 1 ;;
	esac
	if [ ! -f "$path" ] || [ ! -x "$path" ]; then
		_sshd_fail "AuthorizedKeysCommand $path does not exist or is not executable"
		return 1
	fi
	p=$(realpath -- "$path") || return 1
	while :; do
		read -r uid gid mode < <(stat -c '%u %g %a' -- "$p") || return 1
		why=
		if [ "$uid" != 0 ]; then
			why="is owned by uid $uid, not root"
		elif (( 8#$mode & 8#002 )); then
			why="is world-writable (mode $mode)"
		elif (( 8#$mode & 8#020 )) && ! _sshd_group_is_owner_only "$gid" "$uid"; then
			why="is group-writable (mode $mode) and its group (gid $gid) is not root's alone"
		fi
		if [ -n "$why" ]; then
			_sshd_fail "sshd will refuse AuthorizedKeysCommand $path: $p $why"
			return 1
		fi
		[ "$p" = / ] && break
		p=$(dirname -- "$p")
	done
	return 0
}

# Is a local TCP port in use (listening or connected) on this host?
_sshd_port_in_use() {
	local hex
	hex=$(printf ':%04X' "$1")
	awk -v p="$hex" 'FNR > 1 && substr($2, length($2) - 4) == p { found = 1 }
		END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# A port below the kernel's ephemeral range, so outgoing connections don't take it.
_sshd_pick_port() {
	local low port tries=0
	low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	low=${low:-32768}
	[ "$low" -gt 12000 ] || low=61000
	while (( tries++ < 100 )); do
		port=$(( 10000 + (RANDOM * 32768 + RANDOM) % (low - 10000) ))
		_sshd_port_in_use "$port" || { echo "$port"; return 0; }
	done
	return 1
}

_sshd_write_config() {
	local port=$1; shift
	local line lower in_match='' head=() tail=()
	for line in "$@"; do
		lower=${line,,}
		lower=${lower#"${lower%%[![:space:]]*}"}
		case $lower in match[[:space:]]*) in_match=1 ;; esac
		if [ -n "$in_match" ]; then tail+=("$line"); else head+=("$line"); fi
	done
	{
		echo "# written by tests/lib/sshd.sh — a throwaway server for one test"
		[ ${#head[@]} -eq 0 ] || printf '%s\n' "${head[@]}"
		cat <<EOF
Port $port
ListenAddress $SSHD_HOST
AddressFamily inet
HostKey $SSHD_DIR/ssh_host_ed25519_key
PidFile $SSHD_DIR/sshd.pid
AuthorizedKeysFile $SSHD_DIR/authorized_keys
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
DisableForwarding yes
PermitUserRC no
PermitUserEnvironment no
PrintMotd no
PrintLastLog no
UseDNS no
LogLevel VERBOSE
LoginGraceTime 30
MaxStartups 100
MaxSessions 20
EOF
		[ ${#tail[@]} -eq 0 ] || printf '%s\n' "${tail[@]}"
	} > "$SSHD_CONFIG"
}

# One attempt on one port: 0 = ready, 2 = port taken (try another), 1 = failed.
_sshd_try() {
	local port=$1 polls
	: > "$SSHD_LOG"
	# shellcheck disable=SC2094 # -E appends to the same log as stderr
	"$SSHD_BIN" -D -f "$SSHD_CONFIG" -E "$SSHD_LOG" </dev/null >>"$SSHD_LOG" 2>&1 &
	SSHD_PID=$!
	# Bounded poll: sshd logs "Server listening" once it has bound and listens.
	polls=$(( SSHD_START_TIMEOUT * 20 ))
	while (( polls-- > 0 )); do
		if grep -q "Server listening on $SSHD_HOST port $port\\." "$SSHD_LOG"; then
			return 0
		fi
		if ! kill -0 "$SSHD_PID" 2>/dev/null; then
			wait "$SSHD_PID" 2>/dev/null || true
			SSHD_PID=
			if grep -qiE 'address already in use|cannot bind' "$SSHD_LOG"; then
				return 2
			fi
			return 1
		fi
		sleep 0.05
	done
	_sshd_fail "sshd did not listen within ${SSHD_START_TIMEOUT}s"
	sshd_stop
	return 1
}

_sshd_return() {
	return "$1"
}

_sshd_on_exit() {
	local rc=$? d
	set +e # exiting anyway; the test's own trap must run whatever happens
	sshd_stop
	for d in "${_SSHD_COPIES[@]+"${_SSHD_COPIES[@]}"}"; do
		rm -rf -- "$d"
	done
	if [ -n "${_SSHD_PREV_EXIT_TRAP:-}" ]; then
		_sshd_return "$rc" # so the test's trap sees the script's real $?
		eval "$_SSHD_PREV_EXIT_TRAP"
	fi
	exit "$rc"
}

# Stop the server however the test ends; keep an EXIT trap the test set earlier.
# shellcheck disable=SC2120 # $3 comes from `set --` below, not from callers
_sshd_install_traps() {
	local prev
	[ -z "${_SSHD_TRAPPED:-}" ] || return 0
	_SSHD_TRAPPED=1
	prev=$(trap -p EXIT)
	_SSHD_PREV_EXIT_TRAP=
	if [ -n "$prev" ]; then
		# `trap -p` prints: trap -- 'COMMAND' EXIT (shell-quoted)
		eval "set -- $prev"
		_SSHD_PREV_EXIT_TRAP=$3
	fi
	trap _sshd_on_exit EXIT
	[ -n "$(trap -p INT)" ] || trap 'exit 130' INT
	[ -n "$(trap -p TERM)" ] || trap 'exit 143' TERM
}

# sshd_copy_command BIN — copy BIN where sshd accepts an AuthorizedKeysCommand
# (root-owned all the way up, not group/world-writable): a new directory
# /run/mech-test.XXXXXX, mode 0755, removed on exit. Sets SSHD_COMMAND to
# the copy. Skips when not root; returns 1 when the copy fails.
sshd_copy_command() {
	local bin=${1:?sshd_copy_command BIN} dir
	[ "$(id -u)" = 0 ] || sshd_skip "the sshd tests run as root (sshd must switch users, and" \
		"only root can make the root-owned copy of mech an AuthorizedKeysCommand needs)"
	[ -f "$bin" ] && [ -x "$bin" ] || { _sshd_fail "sshd_copy_command: $bin is not an executable"; return 1; }
	# shellcheck disable=SC2119
	_sshd_install_traps
	dir=$(mktemp -d /run/mech-test.XXXXXX) || { _sshd_fail "cannot make a directory under /run"; return 1; }
	_SSHD_COPIES+=("$dir")
	chmod 0755 "$dir" || return 1
	install -m 0755 -o root -g root -- "$bin" "$dir/$(basename -- "$bin")" || return 1
	SSHD_COMMAND=$dir/$(basename -- "$bin")
	sshd_check_command_path "$SSHD_COMMAND" ||
		sshd_skip "/run on this machine is not a place sshd runs commands from (above)"
}

# sshd_mech_conf MECH HOME USER — the shipped front-door snippet,
# packaging/sshd_config.d/mech.conf, as sshd_config lines in the array
# SSHD_MECH_CONF, for sshd_start "${SSHD_MECH_CONF[@]}". Every setting is
# taken verbatim; only what names this machine changes: /usr/bin/mech
# becomes MECH (a copy from sshd_copy_command), /var/lib/mech becomes HOME,
# and the user `mech` (Match User, AuthorizedKeysCommandUser) becomes USER.
# Returns 1 when the snippet no longer has those lines.
sshd_mech_conf() {
	local mech=${1:?sshd_mech_conf MECH HOME USER} home=${2:?} user=${3:?} line word found=0
	local snippet=${SRC:?}/packaging/sshd_config.d/mech.conf
	SSHD_MECH_CONF=()
	while IFS= read -r line; do
		word=${line#"${line%%[![:space:]]*}"}
		case $word in '' | '#'*) continue ;; esac
		case $word in
		'Match User mech') line=${line/%mech/$user}; found=$((found + 1)) ;;
		'AuthorizedKeysCommandUser mech') line=${line/%mech/$user}; found=$((found + 1)) ;;
		'AuthorizedKeysCommand /usr/bin/mech --home /var/lib/mech '*)
			line=${line/\/usr\/bin\/mech/$mech}
			line=${line/\/var\/lib\/mech/$home}
			found=$((found + 1)) ;;
		esac
		SSHD_MECH_CONF+=("$line")
	done <"$snippet"
	[ "$found" -eq 3 ] || { _sshd_fail "$snippet lacks a line sshd_mech_conf adapts"; return 1; }
}

# sshd_start DIR [sshd_config lines…] — start the server; sets SSHD_PORT,
# SSHD_PID, SSHD_LOG, SSHD_CONFIG, SSHD_KNOWN_HOSTS. Returns 1 on failure
# (with the log's tail on stderr); skips when the test cannot run here.
sshd_start() {
	local dir=${1:?sshd_start DIR [config lines]}; shift
	local line cmd port rc

	[ "$(id -u)" = 0 ] || sshd_skip "the sshd tests run as root (sshd must switch users)"
	# make deps installs OpenSSH: without it the set-up is broken, the machine is not to blame
	[ -x "$SSHD_BIN" ] || { _sshd_fail "$SSHD_BIN not found (openssh-server; make deps installs it)"; return 1; }
	command -v ssh >/dev/null || { _sshd_fail "ssh not found (openssh-client; make deps installs it)"; return 1; }
	if [ -n "$SSHD_PID" ]; then
		_sshd_fail "sshd_start: a server is already running (pid $SSHD_PID)"
		return 1
	fi
	case $dir in
	/*) ;;
	*) dir=$PWD/$dir ;;
	esac
	case $dir in
	*[[:space:]\"\\]*) _sshd_fail "sshd_start: DIR must not contain blanks, quotes or backslashes: $dir"; return 1 ;;
	esac
	# sshd refuses key logins to an account whose password is locked ('!') when UsePAM is off.
	if getent shadow root 2>/dev/null | cut -d: -f2 | grep -q '^!'; then
		sshd_skip "root's password is locked ('!' in /etc/shadow) and sshd without PAM refuses" \
			"key logins to locked accounts; unlock with: usermod -p '*' root"
	fi
	# sshd would refuse the command at every login and the test would fail
	# far from the cause: say it here (sshd_copy_command makes a path it takes)
	for line in "$@"; do
		read -r cmd _ <<<"$line"
		if [ "${cmd,,}" = authorizedkeyscommand ]; then
			read -r _ cmd _ <<<"$line"
			if [ "${cmd,,}" != none ] && ! sshd_check_command_path "$cmd"; then
				_sshd_fail "sshd requires an AuthorizedKeysCommand and every directory above" \
					"it to be root-owned and not group/world-writable: use sshd_copy_command"
				return 1
			fi
		fi
	done

	mkdir -p "$dir" /run/sshd || return 1
	chmod 0755 /run/sshd
	SSHD_DIR=$dir
	SSHD_LOG=$dir/sshd.log
	SSHD_CONFIG=$dir/sshd_config
	SSHD_KNOWN_HOSTS=$dir/known_hosts
	if [ ! -f "$dir/ssh_host_ed25519_key" ]; then
		ssh-keygen -q -t ed25519 -N '' -C mech-test-host -f "$dir/ssh_host_ed25519_key" ||
			return 1
	fi
	touch "$dir/authorized_keys"
	chmod 0600 "$dir/authorized_keys"
	# shellcheck disable=SC2119
	_sshd_install_traps

	for _ in 1 2 3 4 5; do
		port=$(_sshd_pick_port) || { _sshd_fail "no free port found"; return 1; }
		_sshd_write_config "$port" "$@"
		if ! "$SSHD_BIN" -t -f "$SSHD_CONFIG" 2>"$SSHD_LOG"; then
			_sshd_fail "sshd rejects the generated config $SSHD_CONFIG:"
			cat "$SSHD_LOG" >&2
			return 1
		fi
		rc=0
		_sshd_try "$port" || rc=$?
		case $rc in
		0)
			SSHD_PORT=$port
			echo "[$SSHD_HOST]:$port $(cut -d' ' -f1,2 "$dir/ssh_host_ed25519_key.pub")" \
				> "$SSHD_KNOWN_HOSTS"
			return 0
			;;
		2) continue ;;
		*) break ;;
		esac
	done
	_sshd_fail "sshd did not start; the end of $SSHD_LOG:"
	tail -n 20 "$SSHD_LOG" >&2
	return 1
}

# Every process below PID, deepest first.
_sshd_descendants() {
	local child
	for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		_sshd_descendants "$child"
		echo "$child"
	done
}

# sshd_stop — stop the server and the sessions it started (bounded wait).
sshd_stop() {
	local pid=${SSHD_PID:-} polls=100 procs
	[ -n "$pid" ] || return 0
	SSHD_PID=
	procs=$(_sshd_descendants "$pid")
	# shellcheck disable=SC2086
	kill -TERM "$pid" $procs 2>/dev/null || true
	while (( polls-- > 0 )) && kill -0 "$pid" 2>/dev/null; do
		sleep 0.05
	done
	# shellcheck disable=SC2086
	kill -KILL "$pid" $procs 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	return 0
}

# sshd_client_opts — ssh options for this server, one word each (DIR has no blanks).
sshd_client_opts() {
	[ -n "$SSHD_PORT" ] || { _sshd_fail "sshd_client_opts: no server started"; return 1; }
	echo "-p $SSHD_PORT -F /dev/null -o UserKnownHostsFile=$SSHD_KNOWN_HOSTS" \
		"-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes" \
		"-o CheckHostIP=no -o UpdateHostKeys=no -o IdentitiesOnly=yes -o IdentityAgent=none" \
		"-o BatchMode=yes -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no" \
		"-o ControlMaster=no -o ControlPath=none -o ConnectTimeout=10 -o LogLevel=ERROR"
}

# sshd_ssh ARGS… — ssh with sshd_client_opts; give -i KEY, -T/-t, user@host, -- command.
sshd_ssh() {
	local opts
	opts=$(sshd_client_opts) || return 1
	# shellcheck disable=SC2086,SC2029
	ssh $opts "$@"
}

# sshd_git_ssh_command KEY — a GIT_SSH_COMMAND for this server; use URLs without a port:
#   GIT_SSH_COMMAND=$(sshd_git_ssh_command "$dir/alice") git clone root@127.0.0.1:/srv/repo.git
sshd_git_ssh_command() {
	local opts
	opts=$(sshd_client_opts) || return 1
	echo "ssh $opts -i ${1:?sshd_git_ssh_command KEY}"
}

# sshd_keygen PATH [TYPE] — a client key pair PATH, PATH.pub (ed25519 by default).
sshd_keygen() {
	local path=${1:?sshd_keygen PATH [TYPE]} type=${2:-ed25519}
	rm -f "$path" "$path.pub"
	ssh-keygen -q -t "$type" -N '' -C "$(basename -- "$path")@mech-test" -f "$path" </dev/null
}

# sshd_authorize PUB [OPTIONS] — allow a key into DIR/authorized_keys, e.g. with
# 'command="…",restrict'. Call after sshd_start; sshd reads the file at each login.
sshd_authorize() {
	local pub=${1:?sshd_authorize PUB [OPTIONS]} options=${2:-}
	[ -n "$SSHD_DIR" ] || { _sshd_fail "sshd_authorize: call sshd_start first"; return 1; }
	if [ -n "$options" ]; then
		printf '%s %s\n' "$options" "$(head -n 1 "$pub")" >> "$SSHD_DIR/authorized_keys"
	else
		head -n 1 "$pub" >> "$SSHD_DIR/authorized_keys"
	fi
}

# sshd_git_server DIR KEY — a Git server over ssh: sshd in DIR whose key KEY
# (made here) may run git's transport commands through git-shell and nothing
# else, and ~/.ssh/known_hosts trusting it (libgit2 checks host keys there).
# Repositories are then ssh://root@127.0.0.1:$SSHD_PORT/<absolute path>.
sshd_git_server() {
	local dir=${1:?sshd_git_server DIR KEY} key=${2:?sshd_git_server DIR KEY} git_shell
	git_shell=$(command -v git-shell) || { _sshd_fail "git-shell is not installed"; return 1; }
	sshd_start "$dir" || return 1
	sshd_keygen "$key"
	sshd_authorize "$key.pub" "command=\"$git_shell -c \\\"\$SSH_ORIGINAL_COMMAND\\\"\",restrict"
	mkdir -p "$HOME/.ssh"
	chmod 700 "$HOME/.ssh"
	cp "$SSHD_KNOWN_HOSTS" "$HOME/.ssh/known_hosts"
}

# sshd_front_door DIR TENANT — mech's SSH front door as shipped: MECH copied
# where sshd accepts it (MECH is set to the copy), a home with TENANT whose
# key is DIR/TENANT (made here, comment TENANT@example.com), and sshd in DIR
# running packaging/sshd_config.d/mech.conf. Connect with
# `sshd_ssh -i DIR/TENANT -T root@127.0.0.1 -- ARGS`.
sshd_front_door() {
	local dir=${1:?sshd_front_door DIR TENANT} tenant=${2:?sshd_front_door DIR TENANT}
	sshd_copy_command "$MECH" || { _sshd_fail "cannot copy $MECH for sshd"; return 1; }
	MECH=$SSHD_COMMAND
	"$MECH" admin init >/dev/null 2>&1 || { _sshd_fail "admin init failed"; return 1; }
	mkdir -p "$dir"
	ssh-keygen -q -t ed25519 -N '' -C "$tenant@example.com" -f "$dir/$tenant" </dev/null
	"$MECH" admin tenant add "$tenant" --key "$dir/$tenant.pub" >/dev/null 2>&1 ||
		{ _sshd_fail "tenant add $tenant failed"; return 1; }
	sshd_mech_conf "$MECH" "$MECH_HOME" root || return 1
	sshd_start "$dir/sshd" "${SSHD_MECH_CONF[@]}"
}
