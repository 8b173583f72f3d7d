#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `next` is right for every verb and outcome: one table, run in order
# against mech sim (each row's state follows from the rows above). A row is
# EXIT | NEXT | ARGS: NEXT is the JSON `next` list as Python prints it, or
# `-` for an outcome that has none (an error envelope: its hint says what
# to do); a pod's name reads POD. A hint names the instance when the command did (-i), so running
# it works when the app has several; a dry run suggests nothing (it wrote
# nothing to follow up); a failed wait suggests logs, events and rollback.
# shellcheck disable=SC2154 # out/err/rc are set by run() in common.sh
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"

seed_tenant alice
sim_start --sync-delay 100ms --health-delay 100ms --degrade-tag broken
sim_config

rows=0
while IFS='|' read -r want next args; do
	want=${want// /}
	[ -n "$want" ] && [ "${want:0:1}" != "#" ] || continue
	next=$(sed 's/^ *//; s/ *$//' <<<"$next")
	args=$(sed 's/^ *//; s/ *$//' <<<"$args")
	# shellcheck disable=SC2086 # the table's words are the arguments
	mech --json $args
	expect_rc "$want" "mech $args"
	got=$(json "$out" 'd["next"] if "next" in d else "-"' | sed -E 's/--pod [a-z0-9-]+/--pod POD/g')
	expect_eq "$got" "$next" "next of \`mech $args\` (exit $want)"
	rows=$((rows + 1))
done <<'TABLE'
# exit | next | mech --json …
0  | ['mech route -a web create', 'mech app -a web info'] | app create web --image nginx:1.27 --wait --timeout 30s
0  | ['mech route -a web create', 'mech app -a web info'] | app create web --image nginx:1.27
65 | - | app create web --image nginx:1.28
0  | [] | app create web2 --image nginx:1.27 --dry-run
0  | [] | app list
0  | ['mech log --path apps/web'] | app -a web info
4  | - | app -a nope info
0  | ['mech app -a web wait', 'mech app -a web info'] | app -a web set-image nginx:1.28
0  | ['mech app -a web wait', 'mech app -a web info'] | app -a web deploy --tag 1.29
0  | [] | app -a web deploy --tag 1.30 --dry-run
0  | [] | app -a web wait --timeout 30s
65 | - | app -a web wait --tag 9.9 --timeout 1ms
2  | ['mech app -a web -i main wait --gone', 'mech app -a web -i main events'] | app -a web wait --gone --timeout 1ms
0  | ['mech app -a web wait'] | app -a web sync
0  | [] | app -a web diff
0  | [] | app -a web history
0  | ['mech app -a web wait'] | app -a web rollback
0  | [] | app -a web wait --timeout 30s
0  | [] | app -a web logs
0  | ['mech app -a web -i main info'] | app -a web events
4  | - | app -a web logs --pod nope
0  | ['mech app -a web -i staging set-image REF'] | app -a web instance add staging
64 | - | app -a web deploy --tag 1.30
0  | ['mech app -a web -i staging wait', 'mech app -a web -i staging info'] | app -a web -i staging deploy --tag 1.30
0  | [] | app -a web -i staging wait --timeout 30s
0  | ['mech app -a web -i staging wait'] | app -a web -i staging rollback
0  | [] | app -a web -i staging wait --timeout 30s
0  | ['mech app -a web -i staging wait'] | app -a web -i staging sync
3  | - | app -a web instance remove staging
0  | ['mech app -a web info'] | app -a web instance remove staging --force
0  | ['mech route -a web wait', 'mech route list'] | route -a web create
0  | [] | route list
0  | [] | route -a web wait --timeout 30s
0  | [] | route -a web info
3  | - | route -a web delete
0  | [] | route -a web delete --force
0  | ['mech addon type info postgres'] | addon type list
0  | ['mech addon create db --type postgres'] | addon type info postgres
0  | ['mech addon -n db info'] | addon create db --type postgres
0  | [] | addon list
0  | [] | addon -n db wait --timeout 30s
0  | ['mech addon -n db link -a APP'] | addon -n db info
0  | ['mech app -a web env list', 'mech addon -n db wait'] | addon -n db link -a web
0  | [] | addon -n db info
0  | ['mech app -a web wait'] | app -a web scale --replicas 2
0  | ['mech app -a web -i main wait'] | app -a web -i main scale --replicas 1
0  | ['mech app -a web env list'] | app -a web env set LOG_LEVEL=debug
0  | ['mech app -a web -i main env set KEY=VALUE'] | app -a web env list
0  | ['mech app -a web env list'] | app -a web env unset LOG_LEVEL
0  | ['mech app -a web env list'] | addon -n db unlink -a web
0  | ['mech addon -n db wait'] | addon -n db set --memory 1Gi
3  | - | addon -n db delete
0  | [] | addon -n db delete --force
0  | [] | log -n 1
0  | [] | show HEAD
0  | ['mech log -n 2'] | revert HEAD
0  | ['mech app create NAME --image REF'] | whoami
0  | ['mech app -a web wait', 'mech app -a web info'] | app -a web deploy --tag broken
1  | ['mech app -a web -i main logs', 'mech app -a web -i main events', 'mech app -a web -i main rollback'] | app -a web wait --timeout 30s
0  | ['mech app -a web -i main events', 'mech app -a web -i main logs --previous --pod POD'] | app -a web logs --tail 1
0  | ['mech app -a web -i main logs'] | app -a web events
3  | - | app -a web delete
0  | ['mech app list'] | app -a web delete --force
64 | - | app frob
TABLE
expect_eq "$rows" 64 "every row ran"
finish
