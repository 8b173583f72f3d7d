/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harnesses for the SSH front door's parsers: the
 * SSH_ORIGINAL_COMMAND tokenizer (fuzz_sshcmd) and the public key parser
 * (fuzz_sshkey, the same file built with -DMECH_FUZZ_SSHKEY). Both APIs
 * take C strings, so the input is copied into an exact-size heap buffer
 * plus the terminating NUL: ASan then sees any read past the end.
 * Besides "no crash, no leak", each harness checks properties a user
 * relies on and aborts when one breaks.
 */
#include "mech/buf.h"
#include "mech/error.h"
#include "mech/sshcmd.h"
#include "mech/sshkey.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef MECH_FUZZ_SSHKEY

/* Quote every word in '…' (a ' becomes '"'"') and split again: same words. */
static void check_round_trip(const mech_strv *v)
{
	mech_buf cmd = MECH_BUF_INIT;
	mech_strv again = MECH_STRV_INIT;
	size_t i;
	const char *p;

	for (i = 0; i < v->len; i++) {
		if (i)
			mech_buf_putc(&cmd, ' ');
		mech_buf_putc(&cmd, '\'');
		for (p = v->items[i]; *p; p++)
			if (*p == '\'')
				mech_buf_puts(&cmd, "'\"'\"'");
			else
				mech_buf_putc(&cmd, *p);
		mech_buf_putc(&cmd, '\'');
	}
	/* Quoting can push a command past the byte limit; only compare within it. */
	if (cmd.len <= MECH_SSHCMD_MAX) {
		if (mech_sshcmd_split(mech_buf_cstr(&cmd), &again) != 0 || again.len != v->len)
			abort();
		for (i = 0; i < v->len; i++)
			if (strcmp(again.items[i], v->items[i]) != 0)
				abort();
	}
	mech_strv_dispose(&again);
	mech_buf_dispose(&cmd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *cmd = malloc(size + 1);
	mech_strv v = MECH_STRV_INIT;
	size_t i, j;

	if (!cmd)
		return 0;
	memcpy(cmd, data, size);
	cmd[size] = '\0';
	if (mech_sshcmd_split(cmd, &v) == 0) {
		for (i = 0; i < v.len; i++) {
			const unsigned char *w = (const unsigned char *)v.items[i];
			if (strlen(v.items[i]) > MECH_SSHCMD_MAX_WORD)
				abort();
			for (j = 0; w[j]; j++)
				if (w[j] < 0x20 || w[j] == 0x7f)
					abort();
		}
		check_round_trip(&v);
		mech_sshcmd_check_request(&v);
	} else if (!mech_error_last() || mech_error_last()->code != MECH_EUSAGE) {
		abort();
	}
	mech_strv_dispose(&v);
	mech_error_clear();
	free(cmd);
	return 0;
}

#else

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	mech_sshkey key = MECH_SSHKEY_INIT, again = MECH_SSHKEY_INIT;

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (mech_sshkey_parse_line(line, &key) == 0) {
		char *a, *g;
		/* sshd's %t %k for the same key must give the same fingerprint. */
		if (mech_sshkey_parse_parts(key.type, key.base64, &again) != 0 ||
		    strcmp(again.fingerprint, key.fingerprint) != 0 ||
		    strlen(key.fingerprint) != 50)
			abort();
		a = mech_sshkey_authorized_line("/usr/bin/mech", "/var/lib/mech", "alice", &key);
		g = mech_sshkey_guest_line("/usr/bin/mech", "/var/lib/mech", &key);
		/* One line each, and exactly two double quotes around the command. */
		if (!a || !g || strchr(a, '\n') || strchr(g, '\n') ||
		    strchr(strchr(strchr(a, '"') + 1, '"') + 1, '"') ||
		    strchr(strchr(strchr(g, '"') + 1, '"') + 1, '"'))
			abort();
		free(a);
		free(g);
	} else if (key.type || key.base64 || key.comment || key.fingerprint || !mech_error_last() ||
		   mech_error_last()->code != MECH_EINVALID) {
		abort();
	}
	mech_sshkey_dispose(&key);
	mech_sshkey_dispose(&again);
	mech_error_clear();
	free(line);
	return 0;
}

#endif
