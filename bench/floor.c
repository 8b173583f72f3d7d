/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The floor of a write: the physical work one `mech app create` must do and
 * nothing else, with libgit2 as mech uses it, linked the same way. It is the
 * honest limit bench/bench_floor.sh holds mech's write against.
 *
 *   floor GITDIR LOCK MESSAGE-FILE PATH FILE [PATH FILE]...
 *
 * One process, one write: take the flock on LOCK, open the bare repository,
 * read the branch head (refs/heads/main) and its tree; write one blob per
 * FILE at PATH, the trees down to them (mech_tree_update, as mech's writes:
 * for an app's four files, the root, apps/, apps/NAME/, base/, overlays/ and
 * overlays/main/: six trees) and a commit whose message is MESSAGE-FILE's
 * bytes, all staged in memory (libgit2's mempack); write exactly those
 * objects as one pack and its index into objects/pack, flushed, with the
 * minimal pack writer mech's writes use (mech_pack_write: each object
 * deflated once, at zlib level FLOOR_ZLIB, default mech's
 * MECH_PACK_WRITE_LEVEL; one pass for the index; no re-reading); then move
 * the branch as git does: refs/heads/main.lock
 * written and flushed, compared with the head read under the lock, renamed
 * over the ref, the directory flushed. No plan, no protection check, no
 * last-writer index, no receipt trailers to build, no pack merges, no
 * configuration: what is left is what any writer of the same commit pays.
 *
 * Exit 0 and the new commit's id on stdout; 1 with a message otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/repository.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mech/objstore.h"
#include "mech/tree.h"

#define MAX_FILES 16

static int die(const char *what)
{
	const git_error *e = git_error_last();
	fprintf(stderr, "floor: %s%s%s\n", what, e ? ": " : "", e ? e->message : "");
	return 1;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* the new objects: 4 blobs, the trees on their paths, the commit */
typedef struct {
	git_oid ids[4 * MAX_FILES + 2];
	size_t n;
} idset;

static void add_id(idset *s, const git_oid *id)
{
	size_t i;
	for (i = 0; i < s->n; i++)
		if (git_oid_equal(&s->ids[i], id))
			return;
	s->ids[s->n++] = *id;
}

/* the tree ids along `path` in the new tree (root excluded, file excluded) */
static int add_trees(idset *s, git_tree *root, const char *path)
{
	char prefix[4096];
	const char *slash = path;
	while ((slash = strchr(slash, '/'))) {
		git_tree_entry *e = NULL;
		size_t n = (size_t)(slash - path);
		if (n >= sizeof(prefix))
			return -1;
		memcpy(prefix, path, n);
		prefix[n] = '\0';
		if (git_tree_entry_bypath(&e, root, prefix) < 0)
			return -1;
		add_id(s, git_tree_entry_id(e));
		git_tree_entry_free(e);
		slash++;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	return rc;
}

int main(int argc, char **argv)
{
	git_tree_update ups[MAX_FILES];
	char *bodies[MAX_FILES] = {0};
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	git_odb_backend *mem = NULL;
	git_commit *head = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_signature *who = NULL;
	git_oid head_id, tree_id, commit_id, now;
	idset ids = {.n = 0};
	char *msg, hex[GIT_OID_HEXSZ + 1], path[4096], lockpath[4104], packdir[4096];
	size_t nfiles, len, i;
	int lockfd, fd, rc = 1, level = MECH_PACK_WRITE_LEVEL;

	if (argc < 6 || (argc - 4) % 2 || (nfiles = (size_t)(argc - 4) / 2) > MAX_FILES) {
		fprintf(stderr, "usage: floor GITDIR LOCK MESSAGE-FILE PATH FILE [PATH FILE]...\n");
		return 64;
	}
	if (getenv("FLOOR_ZLIB"))
		level = atoi(getenv("FLOOR_ZLIB"));
	git_libgit2_init();

	lockfd = open(argv[2], O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0)
		return die("cannot take the lock");
	if (git_repository_open_bare(&repo, argv[1]) < 0)
		return die("cannot open the repository");
	/* new objects go to memory first; only the pack reaches the disk */
	if (git_repository_odb(&odb, repo) < 0 || git_mempack_new(&mem) < 0 ||
	    git_odb_add_backend(odb, mem, 1000) < 0)
		return die("cannot stage objects");
	if (git_reference_name_to_id(&head_id, repo, "refs/heads/main") < 0 ||
	    git_commit_lookup(&head, repo, &head_id) < 0 || git_commit_tree(&base, head) < 0)
		return die("cannot read the branch head");
	if (!(msg = slurp(argv[3], &len)))
		return die("cannot read the message");

	for (i = 0; i < nfiles; i++) {
		size_t blen;
		bodies[i] = slurp(argv[5 + 2 * i], &blen);
		if (!bodies[i])
			return die("cannot read a file");
		ups[i].action = GIT_TREE_UPDATE_UPSERT;
		ups[i].filemode = GIT_FILEMODE_BLOB;
		ups[i].path = argv[4 + 2 * i];
		if (git_blob_create_from_buffer(&ups[i].id, repo, bodies[i], blen) < 0)
			return die("cannot write a blob");
		add_id(&ids, &ups[i].id);
	}
	if (mech_tree_update(&tree_id, repo, base, nfiles, ups) < 0 ||
	    git_tree_lookup(&tree, repo, &tree_id) < 0)
		return die("cannot write the trees");
	add_id(&ids, &tree_id);
	for (i = 0; i < nfiles; i++)
		if (add_trees(&ids, tree, ups[i].path) < 0)
			return die("cannot find a new tree");
	if (git_signature_new(&who, "Mechanics", "mechanics@localhost", 1700000000, 0) < 0 ||
	    git_commit_create(&commit_id, repo, NULL, who, who, NULL, msg, tree, 1,
			      (const git_commit **)&head) < 0)
		return die("cannot write the commit");
	add_id(&ids, &commit_id);

	/* exactly the new objects, one pack and its index, flushed */
	snprintf(packdir, sizeof(packdir), "%sobjects/pack", git_repository_path(repo));
	if (mech_pack_write(odb, ids.ids, ids.n, packdir, level, 1) < 0)
		return die("cannot write the pack");

	/* the ref, as git moves it: lock file flushed, compared, renamed, directory flushed */
	snprintf(path, sizeof(path), "%srefs/heads/main", git_repository_path(repo));
	snprintf(lockpath, sizeof(lockpath), "%s.lock", path);
	git_oid_fmt(hex, &commit_id);
	hex[GIT_OID_HEXSZ] = '\n';
	fd = open(lockpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0)
		return die("cannot lock the branch");
	if (write(fd, hex, sizeof(hex)) != (ssize_t)sizeof(hex) || fsync(fd) < 0) {
		close(fd);
		unlink(lockpath);
		return die("cannot write the branch");
	}
	close(fd);
	if (git_reference_name_to_id(&now, repo, "refs/heads/main") < 0 ||
	    !git_oid_equal(&now, &head_id)) {
		unlink(lockpath);
		return die("the branch moved");
	}
	if (rename(lockpath, path) < 0) {
		unlink(lockpath);
		return die("cannot move the branch");
	}
	*strrchr(path, '/') = '\0';
	if (fsync_dir(path) < 0)
		return die("cannot flush the branch");
	hex[GIT_OID_HEXSZ] = '\0';
	puts(hex);
	rc = 0;

	git_signature_free(who);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(head);
	git_odb_free(odb);
	git_repository_free(repo);
	for (i = 0; i < nfiles; i++)
		free(bodies[i]);
	free(msg);
	close(lockfd);
	git_libgit2_shutdown();
	return rc;
}
