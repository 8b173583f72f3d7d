#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A console left open while writes land does not hold on to the packs the
# merges removed (mech_repo_forget_gone_packs): libgit2 keeps every pack it
# opened mapped, and so on disk, until its object database goes, and a
# console used to hold one more removed pack for each write. After 40
# writes (two or three merges of 16 packs), the console's /proc/PID/maps
# may name at most the packs of the merge after its last look, not all of
# them; and the packs it does hold are on disk.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tmux.sh"
require tmux

seed_tenant alice
"$MECH" app create web --image nginx:1.27 >/dev/null 2>&1 || fail "app create web"
PACKS="$MECH_HOME/tenants/alice/gitops.git/objects/pack"
LOCK="$MECH_HOME/tenants/alice/gitops.git/compact.lock"

tmux_start 200 50 env MECH_HOME="$MECH_HOME" HOME="$HOME" NO_COLOR=1 TZ=UTC LANG=C.UTF-8 \
	sh -c 'exec "$0" console 2>"$1"' "$MECH" "$T/console.err"
expect_screen " web " "the apps view"
# the pane's process is the console: env and sh exec it (other tests' consoles run beside)
pid=$(tmx display-message -p -t t '#{pane_pid}')
tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q " console" && ok ||
	fail "pane process $pid is not the console: $(tr '\0' ' ' <"/proc/$pid/cmdline")"

# each write lands, the console shows it (so it read the new pack), then the next
for i in $(seq 1 40); do
	"$MECH" app create "a$i" --image nginx:1.27 >/dev/null 2>&1 || fail "app create a$i"
	wait_for " a$i " || fail "the console does not show a$i:
$(screen)"
done
flock "$LOCK" true # the last merge those writes started is done
"$MECH" app create last --image nginx:1.27 >/dev/null 2>&1 || fail "app create last"
expect_screen " last " "the last write"
flock "$LOCK" true

[ -r "/proc/$pid/maps" ] || fail "the console is gone: $(cat "$T/console.err")"
gone=$(grep -c "$PACKS/pack-[0-9a-f]*\.pack (deleted)" "/proc/$pid/maps" || true)
merged=$(grep -c "" <(ls "$PACKS"/pack-*.pack))
[ "$merged" -lt 41 ] && ok || fail "no merge ran: $merged packs after 41 writes"
[ "$gone" -le 16 ] && ok ||
	fail "the console still maps $gone removed packs after 41 writes (at most one merge's 16)"
finish
