/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_SIGN_H
#define MECH_SIGN_H

#include <git2.h>

#include "mech/buf.h"
#include "mech/config.h"

/*
 * Signed receipts (DESIGN §5): mech signs its commits with a machine
 * Ed25519 key in git's SSH signature format (an armored SSHSIG in the
 * commit's gpgsig header), so `git verify-commit` with gpg.format=ssh and
 * the allowed-signers file verifies them. Keys live in MECH_HOME/keys/:
 * signing_ed25519 (private, 0600), signing_ed25519.pub, and retired/TIME.pub
 * after a rotation, which stay allowed so old receipts keep verifying.
 * Once a home has a signing key, a commit is machine-authored only if its
 * signature verifies against one of those keys.
 */

/** Create the signing key if the home has none. 1 created, 0 existed. */
int mech_sign_init(const char *home, const char *identity_email);
/** Replace the signing key; the old public key is retired but still allowed. */
int mech_sign_rotate(const char *home, const char *identity_email);
/** Is signing on (the home has a key)? */
int mech_sign_enabled(const char *home);
/** Sign a raw commit buffer: an armored SSH signature. Caller frees. */
int mech_sign_commit(const char *home, const char *commit, size_t len, char **armored);
/** Verify a commit's gpgsig against the allowed keys. 1 valid, 0 not, -1 error. */
int mech_sign_verify(const char *home, git_repository *repo, const git_oid *commit);
/** The allowed-signers file for git (gpg.ssh.allowedSignersFile). */
int mech_sign_allowed_signers(const char *home, const char *principal, mech_buf *out);
/** SHA256 fingerprint of the current signing key. Caller frees. */
char *mech_sign_fingerprint(const char *home);

#endif
