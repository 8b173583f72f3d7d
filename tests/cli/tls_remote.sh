#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# An https Git remote: the CA bundle libgit2 parses at start-up is parsed
# only when the first TLS session is set up (core/git/git_lazy.c), and every
# peer is still verified against it: a trusted server takes the seed and a
# write, also when reached through an http:// redirect; a certificate for
# another host, one no trusted CA signed, or any certificate under a bundle
# that does not parse is refused (exit 69) with nothing pushed. The git CLI
# judges every server the same way (tests/lib/tls_remote.sh).
. "$(dirname "$0")/../lib/common.sh"
. "$SRC/tests/lib/tls_remote.sh"

tls_remote_setup || tls_skip "$TLS_SKIP_REASON"
tls_remote_check "$MECH" "$(basename "$MECH")"
finish
