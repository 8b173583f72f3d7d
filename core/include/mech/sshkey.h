/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_SSHKEY_H
#define MECH_SSHKEY_H

#include <stddef.h>

/*
 * OpenSSH public keys: the ones operators register with
 * `mech admin tenant add T --key FILE` and the ones sshd hands to
 * `mech ssh-keys %u %t %k` (DESIGN §7). Parsing is strict: an allow-listed
 * type, canonical base64, a blob whose structure matches its type with no
 * trailing bytes. A key that parses here is one sshd would also accept.
 */

/** Types mech accepts, in the order messages list them. */
#define MECH_SSHKEY_TYPES                                                                          \
	"ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, "                         \
	"ecdsa-sha2-nistp521, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com"

/** Longest key line / key file accepted. */
#define MECH_SSHKEY_MAX_LINE 16384
#define MECH_SSHKEY_MAX_FILE 65536

typedef struct {
	char *type;        /* "ssh-ed25519", … */
	char *base64;      /* the key blob, canonical padded base64 as ssh-keygen writes it */
	char *comment;     /* text after the key on its line; "" when none */
	char *fingerprint; /* "SHA256:<43 base64 chars>", as `ssh-keygen -lf` prints it */
} mech_sshkey;

/* clang-format off */
#define MECH_SSHKEY_INIT {NULL, NULL, NULL, NULL}
/* clang-format on */

/**
 * Parse one authorized_keys-style line without options: `type base64 [comment]`.
 * Leading/trailing blanks and a trailing CR/LF are ignored. On success `out`
 * owns four strings (free with mech_sshkey_dispose); on error `out` is left
 * all-NULL and the last error is MECH_EINVALID. Returns 0 or -1.
 */
int mech_sshkey_parse_line(const char *line, mech_sshkey *out);

/**
 * Parse the pair sshd passes to an AuthorizedKeysCommand as `%t %k`.
 * The comment is "". Same contract as mech_sshkey_parse_line.
 */
int mech_sshkey_parse_parts(const char *type, const char *b64, mech_sshkey *out);

/**
 * Read a `.pub` file holding exactly one key (blank and `#` lines are
 * ignored). Refuses private keys, other formats, several keys and files over
 * MECH_SSHKEY_MAX_FILE bytes with a message naming the file and line.
 */
int mech_sshkey_read_file(const char *path, mech_sshkey *out);

/** Free the strings of `key` and reset it; safe on an all-NULL key. */
void mech_sshkey_dispose(mech_sshkey *key);

/**
 * The authorized_keys line for a tenant's key:
 *   command="<mech_path> --home <home> ssh --tenant <tenant> --key <fingerprint>",restrict,pty
 *   <type> <base64>
 * The fingerprint is recomputed from the blob; `mech ssh` acts as that key's
 * identity (authorship without sshd's ExposeAuthInfo).
 * `restrict` turns off forwarding, ~/.ssh/rc and PTYs; `pty` turns PTYs back
 * on because `ssh -t mech -- console` needs one. `mech_path` and `home` must
 * be absolute, printable ASCII without `"`, `\` or `'`; `tenant` must be a
 * DNS label. Values with characters the login shell would interpret are
 * single-quoted (sshd runs the command with `sh -c`). Returns a string to
 * free(), or NULL with MECH_EINVALID.
 */
char *mech_sshkey_authorized_line(const char *mech_path, const char *home, const char *tenant,
				  const mech_sshkey *key);

/**
 * The line for a key no tenant has registered, so `help` works before
 * signup:
 *   command="<mech_path> --home <home> ssh --guest <fingerprint>",restrict <type> <base64>
 * No `pty`: a guest has no console. Same validation as above; the
 * fingerprint is recomputed from the blob, not trusted from `key`.
 */
char *mech_sshkey_guest_line(const char *mech_path, const char *home, const mech_sshkey *key);

/**
 * Is `fp` a fingerprint as mech writes it: "SHA256:" and 43 characters of
 * canonical unpadded base64 (the last one's low two bits zero)? 0, or -1
 * with MECH_EINVALID naming `what` (never echoing `fp`).
 */
int mech_sshkey_check_fingerprint(const char *what, const char *fp);

/** "SHA256:<43 base64 chars>" of a key's wire blob, as `ssh-keygen -lf` prints it. Caller frees. */
char *mech_sshkey_fingerprint(const void *blob, size_t len);

#endif
