/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_TEST_CORPUS_H
#define MECH_TEST_CORPUS_H

#include <stddef.h>

/*
 * For the unit tests: call `fn` with the contents of every file in
 * $MECH_SOURCE_DIR/<dir> whose name ends in `suffix` (NULL: every file but
 * dot files), in name order. Skips the test (skip.h: strict mode fails it)
 * when MECH_SOURCE_DIR is unset (run through ctest); fails it when the
 * directory cannot be read.
 * Returns the number of files.
 */
typedef void (*test_file_fn)(const char *path, const char *data, size_t len, void *ctx);
int test_each_file(const char *dir, const char *suffix, test_file_fn fn, void *ctx);

/* Replay a fuzz seed corpus (tests/fuzz/corpus/<name>) through a harness. */
int test_replay_corpus(const char *name, int (*harness)(const unsigned char *, size_t));

#endif
