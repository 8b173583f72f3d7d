/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_SSHCMD_H
#define MECH_SSHCMD_H

#include "mech/buf.h"

#include <stddef.h>
#include <stdint.h>

/*
 * The SSH front door's command line (DESIGN §7): the client's command
 * arrives as one string in SSH_ORIGINAL_COMMAND and mech splits it into
 * words itself. No shell ever sees it, so nothing is expanded: the only
 * syntax is spaces between words and quotes around words.
 *
 *   * Words are separated by spaces and tabs.
 *   * '…' groups a word literally: every character up to the next ' is data.
 *   * "…" groups a word literally too, except that a backslash is refused
 *     (in sh it would escape; here it would silently mean something else).
 *     A ' inside "…" and a " inside '…' are data.
 *   * Quoted and unquoted parts next to each other form one word
 *     (a'b c'd is "ab cd"); '' is an empty word.
 *   * Outside quotes, ; & | $ ` > < ( ) and \ are refused: mech runs exactly
 *     one command per connection and they would mean something in a shell.
 *     Inside quotes they are plain data (the verb's validators judge it).
 *   * Refused anywhere: control characters (bytes < 0x20 except a tab
 *     between words, 0x7f, U+0080–U+009F), invalid UTF-8, a command over
 *     MECH_SSHCMD_MAX bytes, a word over MECH_SSHCMD_MAX_WORD bytes, an
 *     unterminated quote.
 */
#define MECH_SSHCMD_MAX 8192
#define MECH_SSHCMD_MAX_WORD 1024

/**
 * Split an SSH command into words, appending them to `argv_out` (which must
 * be initialised). NULL or blank input yields no words (the caller shows the
 * workflow map). On error nothing is appended, the last error is MECH_EUSAGE
 * and its message names the offending character and its byte position
 * (counted from 1). Returns 0 or -1.
 */
int mech_sshcmd_split(const char *cmd, mech_strv *argv_out);

/**
 * Refuse a request that tries to choose its own tenant or home: `--tenant`,
 * `--home`, their `--flag=value` forms and the abbreviations getopt_long
 * would accept (`--ten`, `--ho`, …), anywhere in `argv`. Over SSH the key
 * decides both. Returns 0, or -1 with MECH_EFORBIDDEN.
 */
int mech_sshcmd_check_request(const mech_strv *argv);

/**
 * Decode one UTF-8 character from `s` (at most `n` bytes available).
 * Returns its length in bytes and stores the code point in `*cp`, or 0 when
 * the bytes are not valid UTF-8 (truncated, overlong, surrogate, > U+10FFFF).
 */
size_t mech_sshcmd_decode_utf8(const char *s, size_t n, uint32_t *cp);

#endif
