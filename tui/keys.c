/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Console keys: one table of actions (name, keymap, default keys, help),
 * bindings built from it, then changed by MECH_HOME/console-keys:
 *
 *   # bind KEYMAP KEY ACTION      (ACTION "none" unbinds the key)
 *   bind generic x quit
 *   bind generic p none
 *   bind diff    p prev-hunk
 *   bind logs    F follow
 *
 * The `?` help is generated from the same table and the live bindings.
 */
#include "tui.h"

#include "mech/buf.h"
#include "mech/error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <wchar.h>

static const struct {
	const char *name, *keymap, *k1, *k2, *help;
} actions[] = {
	/* clang-format off */
	{"none", "generic", NULL, NULL, "unbind"},
#define TUI__ACT_ROW(id, name, keymap, k1, k2, help) {name, keymap, k1, k2, help},
	TUI_ACTION_INFO(TUI__ACT_ROW)
#undef TUI__ACT_ROW
	/* clang-format on */
};

#define MAX_KEYS_FILE (64 * 1024)

static tui_binding *bindings;
static size_t nbindings, capbindings;

static const struct {
	const char *name;
	int key;
} named[] = {
	{"Enter", '\n'},
	{"Esc", 27},
	{"Tab", '\t'},
	{"Space", ' '},
	{"Backspace", TUI_KEY_FN | KEY_BACKSPACE},
	{"Up", TUI_KEY_FN | KEY_UP},
	{"Down", TUI_KEY_FN | KEY_DOWN},
	{"Left", TUI_KEY_FN | KEY_LEFT},
	{"Right", TUI_KEY_FN | KEY_RIGHT},
	{"PgUp", TUI_KEY_FN | KEY_PPAGE},
	{"PgDn", TUI_KEY_FN | KEY_NPAGE},
	{"Home", TUI_KEY_FN | KEY_HOME},
	{"End", TUI_KEY_FN | KEY_END},
	{"Delete", TUI_KEY_FN | KEY_DC},
	{"Lt", '<'},
	{"Colon", ':'}, /* for scripts, where a line starting with ':' is a command */
};

int tui_key_parse(const char *s, size_t len)
{
	size_t i;
	if (len == 0)
		return -1;
	if (s[0] != '<' || len == 1) {
		wchar_t wc;
		mbstate_t st;
		memset(&st, 0, sizeof(st));
		size_t n = mbrtowc(&wc, s, len, &st);
		if (n == len)
			return (int)wc;
		return -1;
	}
	if (s[len - 1] != '>')
		return -1;
	s++;
	len -= 2;
	if (len == 3 && (s[0] == 'C' || s[0] == 'c') && s[1] == '-' && isalpha((unsigned char)s[2]))
		return tolower((unsigned char)s[2]) & 0x1f;
	if (len >= 2 && len <= 3 && (s[0] == 'F' || s[0] == 'f') && isdigit((unsigned char)s[1])) {
		int n = atoi(s + 1);
		if (n >= 1 && n <= 12)
			return TUI_KEY_FN | KEY_F(n);
	}
	for (i = 0; i < sizeof(named) / sizeof(*named); i++)
		if (strlen(named[i].name) == len && !strncasecmp(named[i].name, s, len))
			return named[i].key;
	return -1;
}

const char *tui_key_name(int key)
{
	static char buf[32];
	size_t i;
	for (i = 0; i < sizeof(named) / sizeof(*named); i++)
		if (named[i].key == key && key != '<' && key != ':')
			return snprintf(buf, sizeof(buf), "<%s>", named[i].name), buf;
	if (key == '<')
		return "<Lt>";
	if (key >= 1 && key < 32)
		return snprintf(buf, sizeof(buf), "<C-%c>", key + 'a' - 1), buf;
	if ((key & TUI_KEY_FN) && (key & ~TUI_KEY_FN) >= KEY_F(1) &&
	    (key & ~TUI_KEY_FN) <= KEY_F(12))
		return snprintf(buf, sizeof(buf), "<F%d>", (key & ~TUI_KEY_FN) - KEY_F0), buf;
	if (key & TUI_KEY_FN)
		return snprintf(buf, sizeof(buf), "<key %d>", key & ~TUI_KEY_FN), buf;
	{
		mbstate_t st;
		size_t n;
		memset(&st, 0, sizeof(st));
		n = wcrtomb(buf, (wchar_t)key, &st);
		if (n == (size_t)-1)
			n = 0;
		buf[n] = '\0';
	}
	return buf;
}

static void bind(const char *keymap, int key, tui_action a)
{
	size_t i;
	for (i = 0; i < nbindings; i++) {
		if (bindings[i].key == key && !strcmp(bindings[i].keymap, keymap)) {
			bindings[i].action = a;
			return;
		}
	}
	if (nbindings == capbindings) {
		capbindings = mech_grow_cap(capbindings, nbindings + 1, 64, sizeof(*bindings));
		bindings = mech_reallocarray(bindings, capbindings, sizeof(*bindings));
	}
	snprintf(bindings[nbindings].keymap, sizeof(bindings[nbindings].keymap), "%s", keymap);
	bindings[nbindings].key = key;
	bindings[nbindings].action = a;
	nbindings++;
}

static int action_find(const char *name, size_t len)
{
	size_t i;
	for (i = 0; i < sizeof(actions) / sizeof(*actions); i++)
		if (strlen(actions[i].name) == len && !strncmp(actions[i].name, name, len))
			return (int)i;
	return -1;
}

static int keys_error(const char *file, int line, const char *fmt, const char *word, size_t len)
{
	char q[MECH_ESCAPE_SIZE];
	mech_error_set(MECH_ECONFIG, "%s:%d: %s \"%s\"", file, line, fmt,
		       mech_error_escape_n(q, word, len));
	return mech_error_hint("lines read `bind KEYMAP KEY ACTION` (keymaps: generic, diff, logs; "
			       "ACTION none unbinds); see docs/console.md");
}

static int load_file(const char *file)
{
	mech_buf b = MECH_BUF_INIT;
	const char *p;
	int line = 0, rc = 0;

	if (mech_buf_read_file(&b, file, MAX_KEYS_FILE) < 0) {
		mech_buf_dispose(&b);
		return -1;
	}
	for (p = mech_buf_cstr(&b); *p && rc == 0;) {
		const char *end = strchr(p, '\n');
		const char *w[4];
		size_t wl[4], nw = 0;
		const char *q;
		if (!end)
			end = p + strlen(p);
		line++;
		for (q = p; q < end && nw < 4;) {
			while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
				q++;
			if (q == end || *q == '#')
				break;
			w[nw] = q;
			while (q < end && *q != ' ' && *q != '\t' && *q != '\r')
				q++;
			wl[nw] = (size_t)(q - w[nw]);
			nw++;
		}
		if (nw == 0) {
			/* blank or comment */
		} else if (nw != 4 || wl[0] != 4 || strncmp(w[0], "bind", 4)) {
			rc = keys_error(file, line, "expected `bind KEYMAP KEY ACTION`, got", p,
					(size_t)(end - p));
		} else if (!((wl[1] == 7 && !strncmp(w[1], "generic", 7)) ||
			     (wl[1] == 4 && !strncmp(w[1], "diff", 4)) ||
			     (wl[1] == 4 && !strncmp(w[1], "logs", 4)))) {
			rc = keys_error(file, line, "unknown keymap", w[1], wl[1]);
		} else {
			int key = tui_key_parse(w[2], wl[2]);
			int act = action_find(w[3], wl[3]);
			char keymap[16];
			snprintf(keymap, sizeof(keymap), "%.*s", (int)wl[1], w[1]);
			if (key < 0)
				rc = keys_error(file, line, "unknown key", w[2], wl[2]);
			else if (act < 0)
				rc = keys_error(file, line, "unknown action", w[3], wl[3]);
			else
				bind(keymap, key, (tui_action)act);
		}
		p = *end ? end + 1 : end;
	}
	mech_buf_dispose(&b);
	return rc;
}

int tui_keys_init(const char *home)
{
	size_t i;
	char *file;
	int rc = 0;

	tui_keys_free();
	for (i = 1; i < sizeof(actions) / sizeof(*actions); i++) {
		if (actions[i].k1)
			bind(actions[i].keymap, tui_key_parse(actions[i].k1, strlen(actions[i].k1)),
			     (tui_action)i);
		if (actions[i].k2)
			bind(actions[i].keymap, tui_key_parse(actions[i].k2, strlen(actions[i].k2)),
			     (tui_action)i);
	}
	file = mech_sprintf("%s/console-keys", home);
	if (access(file, F_OK) == 0)
		rc = load_file(file);
	free(file);
	return rc;
}

void tui_keys_free(void)
{
	free(bindings);
	bindings = NULL;
	nbindings = capbindings = 0;
}

tui_action tui_keys_lookup(const char *keymap, int key)
{
	size_t i;
	if (strcmp(keymap, "generic")) {
		for (i = 0; i < nbindings; i++)
			if (bindings[i].key == key && !strcmp(bindings[i].keymap, keymap))
				return bindings[i].action;
	}
	for (i = 0; i < nbindings; i++)
		if (bindings[i].key == key && !strcmp(bindings[i].keymap, "generic"))
			return bindings[i].action;
	return TUI_ACT_NONE;
}

const char *tui_action_name(tui_action a)
{
	return (size_t)a < sizeof(actions) / sizeof(*actions) ? actions[a].name : "?";
}

const char *tui_action_help(tui_action a)
{
	return (size_t)a < sizeof(actions) / sizeof(*actions) ? actions[a].help : "";
}

const char *tui_action_keymap(tui_action a)
{
	return (size_t)a < sizeof(actions) / sizeof(*actions) ? actions[a].keymap : "generic";
}

void tui_keys_describe(tui_action a, char *buf, size_t len)
{
	size_t i, at = 0;
	buf[0] = '\0';
	for (i = 0; i < nbindings && at + 1 < len; i++) {
		int n;
		if (bindings[i].action != a)
			continue;
		n = snprintf(buf + at, len - at, "%s%s%s%s", at ? " " : "",
			     strcmp(bindings[i].keymap, tui_action_keymap(a)) ? bindings[i].keymap
									      : "",
			     strcmp(bindings[i].keymap, tui_action_keymap(a)) ? ":" : "",
			     tui_key_name(bindings[i].key));
		if (n < 0 || (size_t)n >= len - at)
			break;
		at += (size_t)n;
	}
}
