/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the unit tests: walking a directory of inputs from the source
 * tree, such as a fuzz seed corpus, so a crash input added there is a
 * regression test of the plain build too.
 */
#include "corpus.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "mech/buf.h"
#include "skip.h"

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int test_each_file(const char *dir, const char *suffix, test_file_fn fn, void *ctx)
{
	const char *src = getenv("MECH_SOURCE_DIR");
	struct dirent **names;
	char *path;
	int n, i, files = 0;

	if (!src)
		test_skip("MECH_SOURCE_DIR is not set (run through ctest)");
	path = mech_sprintf("%s/%s", src, dir);
	n = scandir(path, &names, NULL, by_name);
	cr_assert_geq(n, 0, "cannot read %s", path);
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(name), slen = suffix ? strlen(suffix) : 0;
		mech_buf b = MECH_BUF_INIT;
		char *file;

		if (name[0] == '.' || (suffix && (len <= slen || strcmp(name + len - slen, suffix))))
			continue;
		file = mech_sprintf("%s/%s", path, name);
		cr_assert_eq(mech_buf_read_file(&b, file, 0), 0, "cannot read %s", file);
		cr_log_info("%s", file);
		fn(file, mech_buf_cstr(&b), b.len, ctx);
		mech_buf_dispose(&b);
		free(file);
		files++;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(path);
	return files;
}

static void replay_one(const char *path, const char *data, size_t len, void *ctx)
{
	int (*harness)(const unsigned char *,
		       size_t) = *(int (**)(const unsigned char *, size_t))ctx;
	(void)path;
	harness((const unsigned char *)data, len);
}

int test_replay_corpus(const char *name, int (*harness)(const unsigned char *, size_t))
{
	char *dir = mech_sprintf("tests/fuzz/corpus/%s", name);
	int files = test_each_file(dir, NULL, replay_one, &harness);
	free(dir);
	return files;
}
