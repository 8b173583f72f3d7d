#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mech(1), mech.yaml(5) and the bash completion are generated from mech's
# tables: every command, flag, exit code and configuration key must be in
# them, the pages must render without warnings, the example configuration
# must load, and the completion must complete in a real bash.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"

seed_tenant alice
"$MECH" app create web --image nginx:1.27 >/dev/null 2>&1 || fail "app create web"
"$MECH" app -a web instance add staging >/dev/null 2>&1 || fail "instance add staging"
"$MECH" addon create db --type postgres >/dev/null 2>&1 || fail "addon create db"
before=$(head_of alice)
render_overlays alice

# roff source → plain text: escapes of hyphens, backslashes and fonts removed
plain() { sed -e 's/\\-/-/g' -e 's/\\e/\\/g' -e 's/\\f[BIRP]//g' -e 's/\\(lq/"/g' -e 's/\\(rq/"/g' -e 's/^\\&//'; }

# ---- mech(1) -------------------------------------------------------------
mech gen man
expect_rc 0 "gen man"
man1=$out
printf '%s\n' "$man1" >"$T/mech.1"
expect_in "$man1" '.TH MECH 1' "mech(1) has a title line"
text1=$(plain <<<"$man1")
for section in NAME SYNOPSIS DESCRIPTION COMMANDS '"GLOBAL FLAGS"' '"EXIT STATUS"' ENVIRONMENT FILES '"SEE ALSO"'; do
	expect_in "$man1" ".SH $section" "mech(1) has section $section"
done
for var in MECH_HOME MECH_TENANT NO_COLOR SSH_ORIGINAL_COMMAND; do
	expect_in "$text1" ".B $var" "ENVIRONMENT documents $var"
done
for flag in --home --tenant --json --no-color --readonly --help --version --dry-run --force; do
	expect_in "$text1" "$flag" "mech(1) documents $flag"
done

# every command of `mech help --json` has its subsection, with every flag
# `mech help NOUN --json` lists for it
mech help --json
ids=$(json "$out" '" ".join(d["result"]["commands"])')
for id in $ids; do
	expect_in "$text1" "Command id $id." "mech(1) has a subsection for $id"
done
nouns=$(sed -n 's/^\.SS "mech \([a-z-]*\).*/\1/p' <<<"$text1" | sort -u)
for noun in $nouns; do
	mech help "$noun" --json
	expect_rc 0 "help $noun --json"
	/usr/bin/python3 - "$T/mech.1" "$out" <<'EOF' && ok || fail "mech(1): a command's flags are missing (above)"
import json, re, sys
src = open(sys.argv[1]).read()
text = re.sub(r"\\f[BIRP]", "", src.replace("\\-", "-"))
subs = re.split(r"\n\.S[SH] ", text)
bad = 0
r = json.loads(sys.argv[2])["result"]
for c in r["commands"] if "commands" in r else [r]:
    sec = [s for s in subs if "Command id %s." % c["command"] in s]
    if len(sec) != 1:
        print("no single subsection for", c["command"], file=sys.stderr); bad += 1; continue
    for f in c["flags"]:
        if "--" + f["name"] not in sec[0] or f["help"].replace("`", "") not in sec[0]:
            print("%s: flag --%s or its help missing" % (c["command"], f["name"]), file=sys.stderr)
            bad += 1
sys.exit(1 if bad else 0)
EOF
done
[ "$(wc -w <<<"$nouns")" -ge 8 ] && ok || fail "mech(1): only these nouns have subsections: $nouns"

# every exit code of the error table, with its name
mech help exit-codes --json
rows=$(json "$out" '" ".join("%d:%s" % (r["exit"], r["code"]) for r in d["result"]["exit_codes"])')
for row in $rows; do
	expect_in "$text1" "${row%%:*} (${row#*:})" "EXIT STATUS lists exit ${row%%:*}"
done
[ "$(wc -w <<<"$rows")" -ge 11 ] && ok || fail "only $(wc -w <<<"$rows") exit codes"

# the build wrote the same page next to the binary
build=$(dirname "$MECH")
for f in mech.1:man mech.yaml.5:man5 mech.bash-completion:bash-completion; do
	if [ -f "$build/${f%%:*}" ] && cmp -s "$build/${f%%:*}" <("$MECH" gen "${f#*:}"); then ok
	else fail "the build's ${f%%:*} is missing or differs from mech gen ${f#*:}"; fi
done

# ---- mech.yaml(5) ----------------------------------------------------------
mech gen man5
expect_rc 0 "gen man5"
man5=$out
printf '%s\n' "$man5" >"$T/mech.yaml.5"
text5=$(plain <<<"$man5")
# the key table as core/input/config.c declares it, read from the source:
# S/E rows are strings (quoted defaults), I/B/D integers, booleans and durations
keys=$(sed -n 's/^[[:space:]]*\([SEIBD]\)("\([a-z_.]*\)", "\([a-z_]*\)", [a-z_]*, "\([^"]*\)".*/\1 \2.\3 \4/p' "$SRC/core/input/config.c")
[ "$(wc -l <<<"$keys")" -ge 18 ] && ok || fail "read only $(wc -l <<<"$keys") keys from core/input/config.c"
while read -r kind key def; do
	line=$(grep -F -m1 "$key (" <<<"$text5")
	expect_in "$line" "$key (" "mech.yaml(5) documents $key"
	if [ -z "$def" ]; then want="default empty)"
	elif [ "$kind" = S ] || [ "$kind" = E ]; then want="default \"$def\")"
	else want="default $def)"; fi
	expect_in "$line" "$want" "mech.yaml(5) gives $key's default"
done <<<"$keys"
# the example file is a configuration mech loads
sed -n '/^\.SH EXAMPLE/,/^\.SH/p' "$T/mech.yaml.5" | sed -n '/^\.nf/,/^\.fi/p' | sed '1d;$d' | plain >"$T/example.yaml"
grep -q 'gateway:' "$T/example.yaml" && ok || fail "no example in mech.yaml(5): $(cat "$T/example.yaml")"
mkdir -p "$T/confhome"
cp "$T/example.yaml" "$T/confhome/mech.yaml"
MECH_HOME=$T/confhome run "$MECH" admin tenant list
expect_rc 0 "the example configuration of mech.yaml(5) loads"
printf 'bogus: 1\n' >>"$T/confhome/mech.yaml"
MECH_HOME=$T/confhome run "$MECH" admin tenant list
expect_rc 78 "the same file with an unknown key does not (so it was read)"

# ---- rendering -------------------------------------------------------------
for page in "$T/mech.1" "$T/mech.yaml.5"; do
	if command -v groff >/dev/null; then
		warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
		expect_eq "$warn" "" "groff -ww renders $(basename "$page") without warnings"
	else
		skip_part "groff is not installed: $(basename "$page") was not rendered with groff -ww"
	fi
	if command -v man >/dev/null; then
		rendered=$(MANWIDTH=80 man --warnings -l "$page" 2>"$T/man.err")
		expect_eq "$(cat "$T/man.err")" "" "man -l renders $(basename "$page") without warnings"
		expect_in "$rendered" "SEE ALSO" "man -l renders $(basename "$page")"
	else
		skip_part "man is not installed: $(basename "$page") was not rendered with man -l"
	fi
done

# ---- bash completion ---------------------------------------------------------
mech gen bash-completion
expect_rc 0 "gen bash-completion"
printf '%s\n' "$out" >"$T/mech.bash"
bash -n "$T/mech.bash" && ok || fail "the completion script is not valid bash"
# complete WORDS...: what bash's completion offers for the last word
complete_words() {
	bash --norc --noprofile -c '
		. "$1" || exit 9
		shift
		complete -p mech | grep -q -- "-F _mech" || exit 8
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_mech
		printf "%s\n" "${COMPREPLY[@]}"' bash "$T/mech.bash" "$@"
}
expect_words() { # what want words...
	local what=$1 want=$2 got
	shift 2
	got=$(complete_words "$MECH" "$@" | sort | tr '\n' ' ')
	expect_eq "$got" "$want " "$what"
}
expect_words "mech ap → app" "app" ap
expect_words "mech app cr → create" "create" app cr
expect_words "mech app create --im → --image" "--image" app create --im
expect_words "a two-word verb's first word" "instance" app inst
expect_words "a two-word verb's second word" "add remove" app instance ""
expect_words "flags of a two-word verb" "--from" app -a web instance add x --fr
expect_words "addon type" "info list" addon type ""
expect_words "a one-word command's flags" "--class" log --cl
got=$(complete_words "$MECH" app -- | tr '\n' ' ')
expect_in "$got" "--app " "targets before the verb: --app"
expect_in "$got" "--instance " "targets before the verb: --instance"
expect_not_in "$got" "--image" "a verb's own flags come after the verb"
expect_words "app names from the repo" "web" app -a ""
expect_words "app names with --tenant" "web" --tenant alice route -a w
expect_words "instances of the app" "main staging" app -a web -i ""
expect_words "addon names from the repo" "db" addon -n ""
expect_words "addon types" "postgres" addon create pg --type ""
expect_words "tenants" "alice" --tenant ""
expect_words "no names for a free value" "" app -a web deploy --tag ""
expect_words "help takes nouns" "addon admin" help ad
expect_words "help takes exit-codes" "exit-codes" help ex
got=$(complete_words "$MECH" "" | tr '\n' ' ')
for noun in app route addon log show whoami help; do expect_in "$got" "$noun " "mech <TAB> offers $noun"; done
expect_not_in "$got" "gen " "mech <TAB> hides hidden commands"
# completion only reads
expect_eq "$(head_of alice)" "$before" "completion and docs wrote nothing"

# gen is an operator command: not over SSH
SSH_ORIGINAL_COMMAND="gen man" run "$MECH" ssh --tenant alice
expect_rc 77 "gen is refused over SSH"
finish
