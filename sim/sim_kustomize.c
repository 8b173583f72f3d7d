/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Real kustomize for the sim: with kubectl on PATH, a kustomize directory
 * is rendered as Argo CD's repo server renders it, by `kubectl kustomize`
 * over a copy of the commit's files. The copy is private (a 0700 temp
 * directory under $TMPDIR, removed after each build) and holds only the
 * regular files of the smallest subtree every base the overlay names lies
 * in: symlinks and submodules are not written, so nothing outside the
 * repository can be read through them. kubectl runs without a shell, with
 * a clean argv and environment, for at most BUILD_TIMEOUT_MS, and its
 * output is bounded. Renders are cached by that subtree's tree id (which
 * covers every file kustomize may read) and the app path; one kubectl, so
 * one kustomize version, serves the whole process.
 * The main thread renders (sim_world_tick reads the repos); a lock of its
 * own keeps the cache whole should another thread ever render too.
 */
#include "sim_int.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mech/error.h"
#include "mech/tree.h"
#include "mech/yaml.h"

#define BUILD_TIMEOUT_MS 30000
#define VERSION_TIMEOUT_MS 10000
#define OUTPUT_MAX (1u << 20) /* what the sim's YAML parser takes */
#define STDERR_MAX (64u * 1024)
#define FILE_MAX (1u << 20)
#define COPY_FILES_MAX 2000
#define COPY_BYTES_MAX (64u << 20)
#define COPY_DEPTH_MAX 32
#define REFS_DEPTH_MAX 8
#define CACHE_MAX 256
#define CACHED_SOURCE "<path to cached source>"

typedef struct {
	char *dir;     /* the app path */
	char *anc;     /* the subtree copied */
	git_oid tree;  /* its id at the commit */
	char *out;     /* the YAML kustomize printed, or NULL */
	char *error;   /* or why the build failed */
	int transient; /* failed for a reason of the moment (time, disk): build again */
} cache_entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
	sim_kustomize_mode mode;
	char *kubectl; /* absolute path; NULL: the builtin subset */
	char *version; /* kustomize's, e.g. "v5.5.0" */
	cache_entry cache[CACHE_MAX];
	size_t ncache, next;
} K;

/* ---- running a program ---- */

typedef struct {
	mech_buf out, err;
	int status;      /* exit status, when it exited */
	const char *why; /* NULL, or why it did not run to its end */
} run_result;

static void run_dispose(run_result *r)
{
	mech_buf_dispose(&r->out);
	mech_buf_dispose(&r->err);
}

/* Read what is there on fd into b (up to max); 1 at EOF, -1 past max (unless truncating). */
static int drain(int fd, mech_buf *b, size_t max, int truncate)
{
	char chunk[8192];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : 1;
	if (n == 0)
		return 1;
	if (b->len + (size_t)n > max) {
		if (!truncate)
			return -1;
		n = (ssize_t)(max - b->len);
	}
	mech_buf_put(b, chunk, (size_t)n);
	return 0;
}

/*
 * Run argv (argv[0] an absolute path) in `cwd`, stdin /dev/null, without a
 * shell; 0 when it ran (r->status holds its exit status), -1 when it could
 * not start, ran too long or printed too much (r->why says which).
 */
static int run(char *const argv[], const char *cwd, char *const envp[], long timeout_ms,
	       run_result *r)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int out[2] = {-1, -1}, err[2] = {-1, -1}, open_fds = 2, killed = 0, status = 0, rc = -1;
	double deadline = sim_now_ms() + (double)timeout_ms;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		r->why = "cannot make a pipe";
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	if (cwd)
		posix_spawn_file_actions_addchdir_np(&fa, cwd);
	/* the sim's thread blocks SIGINT/SIGTERM: the child must not inherit that */
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&pid, argv[0], &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(out[1]);
	close(err[1]);
	out[1] = err[1] = -1;
	if (rc != 0) {
		r->why = "cannot start it";
		rc = -1;
		goto done;
	}
	while (open_fds > 0) {
		struct pollfd p[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
		double left = deadline - sim_now_ms();
		int i, n;
		if (left <= 0) {
			r->why = "it ran too long";
			break;
		}
		n = poll(p, 2, (int)(left > 1000 ? 1000 : left + 1));
		if (n < 0 && errno != EINTR) {
			r->why = "cannot read its output";
			break;
		}
		for (i = 0; n > 0 && i < 2; i++) {
			int *fd = i ? &err[0] : &out[0];
			int d;
			if (*fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			d = drain(*fd, i ? &r->err : &r->out, i ? STDERR_MAX : OUTPUT_MAX, i);
			if (d < 0 && !i) {
				r->why = "its output is larger than 1 MiB";
				break;
			}
			if (d != 0) {
				close(*fd);
				*fd = -1;
				open_fds--;
			}
		}
		if (r->why)
			break;
	}
	/* its output closed: it ends now, or is killed at the deadline */
	while (!r->why) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if ((w < 0 && errno != EINTR) || sim_now_ms() >= deadline)
			r->why = "it ran too long";
		else
			poll(NULL, 0, 10);
	}
	if (r->why) {
		kill(pid, SIGKILL);
		killed = 1;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (!killed && WIFSIGNALED(status))
		r->why = "it was killed by a signal";
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	rc = r->why ? -1 : 0;
done:
	if (out[0] >= 0)
		close(out[0]);
	if (err[0] >= 0)
		close(err[0]);
	if (out[1] >= 0)
		close(out[1]);
	if (err[1] >= 0)
		close(err[1]);
	return rc;
}

/* ---- finding kubectl and its kustomize ---- */

static char *find_on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL, *dir, *found = NULL;
	if (!path || !*path)
		return NULL;
	copy = mech_strdup(path);
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *p;
		struct stat st;
		if (dir[0] != '/')
			continue; /* a relative PATH entry would depend on the cwd */
		p = mech_sprintf("%s/%s", dir, prog);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0)
			found = p;
		else
			free(p);
	}
	free(copy);
	return found;
}

/* The environment kubectl gets: PATH and a HOME of its own (no kubeconfig, no plugins). */
static char **child_env(const char *home)
{
	char **env = mech_calloc(4, sizeof(*env));
	const char *path = getenv("PATH");
	env[0] = mech_sprintf("PATH=%s", path ? path : "/usr/bin:/bin");
	env[1] = mech_sprintf("HOME=%s", home);
	env[2] = mech_strdup("LANG=C");
	return env;
}

static void env_free(char **env)
{
	size_t i;
	for (i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

static const char *tmp_base(void)
{
	const char *t = getenv("TMPDIR");
	return t && t[0] == '/' ? t : "/tmp";
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(path);
	return 0;
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* `kubectl version --client -o json` → its kustomizeVersion; NULL when it has none. */
static char *kustomize_version(const char *kubectl)
{
	char *tmpl = mech_sprintf("%s/mech-sim-kubectl.XXXXXX", tmp_base());
	char *argv[] = {(char *)kubectl, (char *)"version", (char *)"--client",
			(char *)"-o",    (char *)"json",    NULL};
	char **env = NULL, *v = NULL;
	run_result r;
	cJSON *j;

	if (!mkdtemp(tmpl)) {
		free(tmpl);
		return NULL;
	}
	env = child_env(tmpl);
	if (run(argv, tmpl, env, VERSION_TIMEOUT_MS, &r) == 0 && r.status == 0 &&
	    (j = cJSON_Parse(mech_buf_cstr(&r.out)))) {
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "kustomizeVersion");
		if (cJSON_IsString(k) && *k->valuestring)
			v = mech_strdup(k->valuestring);
		cJSON_Delete(j);
	}
	run_dispose(&r);
	env_free(env);
	rm_tree(tmpl);
	free(tmpl);
	return v;
}

int sim_opts_kustomize(sim_opts *o, const char *s)
{
	if (!strcmp(s, "auto"))
		o->kustomize = SIM_KUSTOMIZE_AUTO;
	else if (!strcmp(s, "builtin"))
		o->kustomize = SIM_KUSTOMIZE_BUILTIN;
	else if (!strcmp(s, "kubectl"))
		o->kustomize = SIM_KUSTOMIZE_KUBECTL;
	else
		return mech_error_set(MECH_EINVALID,
				      "--kustomize '%s': want auto, builtin or kubectl", s);
	return 0;
}

#define BUILTIN_LIMITS                                                                             \
	"rendering overlays with the sim's own kustomize subset; patches and generators it "       \
	"lacks are ignored"

int sim_kustomize_init(sim_kustomize_mode mode)
{
	sim_kustomize_dispose();
	K.mode = mode;
	if (mode == SIM_KUSTOMIZE_BUILTIN) {
		fprintf(stderr, "mech sim: --kustomize builtin: " BUILTIN_LIMITS "\n");
		return 0;
	}
	K.kubectl = find_on_path("kubectl");
	if (K.kubectl)
		K.version = kustomize_version(K.kubectl);
	if (!K.version) {
		char *why = K.kubectl ? mech_sprintf("%s has no kustomize (`kubectl version "
						     "--client -o json` names none)",
						     K.kubectl)
				      : mech_strdup("kubectl not on PATH");
		free(K.kubectl);
		K.kubectl = NULL;
		if (mode == SIM_KUSTOMIZE_KUBECTL) {
			mech_error_set(MECH_ECONFIG, "--kustomize kubectl: %s", why);
			mech_error_hint("install kubectl, or run the sim with --kustomize builtin");
			free(why);
			return -1;
		}
		fprintf(stderr, "mech sim: %s: " BUILTIN_LIMITS "\n", why);
		free(why);
		return 0;
	}
	fprintf(stderr,
		"mech sim: rendering kustomize directories with `%s kustomize` (kustomize %s)\n",
		K.kubectl, K.version);
	return 0;
}

int sim_kustomize_external(void)
{
	return K.kubectl != NULL;
}

static void cache_entry_dispose(cache_entry *c)
{
	free(c->dir);
	free(c->anc);
	free(c->out);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

void sim_kustomize_dispose(void)
{
	size_t i;
	for (i = 0; i < K.ncache; i++)
		cache_entry_dispose(&K.cache[i]);
	free(K.kubectl);
	free(K.version);
	memset(&K, 0, sizeof(K));
}

/* ---- what the build reads: the subtree every base lies in ---- */

/* dir + "/" + rel, normalised; NULL when it leaves the repository. */
static char *join(const char *dir, const char *rel)
{
	mech_strv parts = MECH_STRV_INIT;
	mech_buf out = MECH_BUF_INIT;
	char *all = mech_sprintf("%s/%s", dir, rel), *save = NULL, *tok;
	size_t i;
	int bad = 0;

	for (tok = strtok_r(all, "/", &save); tok && !bad; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			if (!parts.len)
				bad = 1;
			else
				free(parts.items[--parts.len]);
			continue;
		}
		mech_strv_push(&parts, tok);
	}
	for (i = 0; !bad && i < parts.len; i++)
		mech_buf_printf(&out, "%s%s", i ? "/" : "", parts.items[i]);
	free(all);
	mech_strv_dispose(&parts);
	if (bad) {
		mech_buf_dispose(&out);
		return NULL;
	}
	if (!out.len)
		mech_buf_puts(&out, "");
	return mech_buf_detach(&out);
}

/* Shorten anc to the longest directory prefix it shares with path. */
static void common_dir(char *anc, const char *path)
{
	size_t i, last = 0;
	for (i = 0;; i++) {
		int a_end = anc[i] == '\0' || anc[i] == '/';
		int p_end = path[i] == '\0' || path[i] == '/';
		if (a_end && p_end) {
			last = i;
			if (!anc[i] || !path[i])
				break;
			continue;
		}
		if (anc[i] != path[i])
			break;
	}
	anc[last] = '\0';
}

static int is_remote(const char *s)
{
	return strstr(s, "://") || !strncmp(s, "github.com/", 11) || !strncmp(s, "git@", 4);
}

/*
 * Follow resources, bases and components from the kustomization in `dir`,
 * narrowing *anc to the directory they all lie in. Files a kustomization
 * names otherwise (patches, generators) must lie below its own directory
 * (kustomize's default load restrictor), so they add nothing.
 */
static int follow(git_repository *repo, git_tree *root, const char *dir, int depth, char *anc,
		  mech_strv *seen)
{
	static const char *const names[] = {"kustomization.yaml", "kustomization.yml",
					    "Kustomization"};
	static const char *const lists[] = {"resources", "bases", "components"};
	mech_buf data = MECH_BUF_INIT;
	mech_yaml *doc = NULL;
	size_t i, j;
	int rc = 0, found = 0;
	char *file = NULL;

	if (mech_strv_contains(seen, dir) || depth > REFS_DEPTH_MAX)
		return 0;
	mech_strv_push(seen, dir);
	for (i = 0; i < 3 && !found; i++) {
		free(file);
		file = mech_sprintf("%s%s%s", dir, *dir ? "/" : "", names[i]);
		found = mech_tree_read(repo, root, file, FILE_MAX, &data);
	}
	/* kustomize itself reports a missing or unreadable kustomization */
	if (found <= 0 || mech_yaml_parse(&doc, mech_buf_cstr(&data), data.len, file, NULL) < 0) {
		mech_error_clear();
		goto done;
	}
	for (i = 0; i < 3 && rc == 0; i++) {
		const mech_yaml *l = mech_yaml_get(doc, lists[i]);
		for (j = 0; l && l->kind == MECH_YAML_SEQ && j < l->len && rc == 0; j++) {
			const char *s = mech_yaml_text(l->items[j]);
			char *p;
			if (!s || !*s)
				continue;
			if (is_remote(s)) {
				rc = mech_error_set(MECH_EINVALID,
						    "%s: remote %s %s: the sim does not fetch remote "
						    "bases",
						    file, lists[i], s);
				break;
			}
			p = s[0] == '/' ? NULL : join(dir, s);
			if (!p) {
				rc = mech_error_set(MECH_EINVALID,
						    "%s: %s %s is outside the repository", file,
						    lists[i], s);
				break;
			}
			common_dir(anc, p);
			rc = follow(repo, root, p, depth + 1, anc, seen);
			free(p);
		}
	}
done:
	mech_yaml_free(doc);
	mech_buf_dispose(&data);
	free(file);
	return rc;
}

/* ---- the private copy ---- */

typedef struct {
	git_repository *repo;
	size_t files, bytes;
} copy_ctx;

/* Write the regular files of `t` into the directory fd `at` (symlinks and submodules not). */
static int copy_tree(copy_ctx *c, git_tree *t, int at, int depth)
{
	size_t i, n = git_tree_entrycount(t);
	if (depth > COPY_DEPTH_MAX)
		return mech_error_set(MECH_EINVALID, "directories nested too deeply");
	for (i = 0; i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		const char *name = git_tree_entry_name(e);
		git_filemode_t mode = git_tree_entry_filemode(e);
		if (!*name || !strcmp(name, ".") || !strcmp(name, "..") || strchr(name, '/'))
			continue;
		if (mode == GIT_FILEMODE_TREE) {
			git_tree *sub = NULL;
			int fd, rc;
			if (git_tree_lookup(&sub, c->repo, git_tree_entry_id(e)) < 0)
				return mech_error_git(MECH_EFAILED, "read a directory");
			if (mkdirat(at, name, 0700) < 0 ||
			    (fd = openat(at, name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
				git_tree_free(sub);
				return mech_error_set(MECH_EFAILED, "cannot write %s: %s", name,
						      strerror(errno));
			}
			rc = copy_tree(c, sub, fd, depth + 1);
			close(fd);
			git_tree_free(sub);
			if (rc < 0)
				return -1;
		} else if (mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE) {
			git_blob *b = NULL;
			size_t len;
			int fd, rc;
			if (++c->files > COPY_FILES_MAX)
				return mech_error_set(MECH_EINVALID, "more than %d files",
						      COPY_FILES_MAX);
			if (git_blob_lookup(&b, c->repo, git_tree_entry_id(e)) < 0)
				return mech_error_git(MECH_EFAILED, "read a file");
			len = (size_t)git_blob_rawsize(b);
			c->bytes += len;
			if (c->bytes > COPY_BYTES_MAX) {
				git_blob_free(b);
				return mech_error_set(MECH_EINVALID, "more than %u MiB of files",
						      COPY_BYTES_MAX >> 20);
			}
			fd = openat(at, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				    0600);
			rc = fd < 0 ? -1 : mech_write_all(fd, git_blob_rawcontent(b), len);
			if (fd >= 0)
				close(fd);
			git_blob_free(b);
			if (rc < 0)
				return mech_error_set(MECH_EFAILED, "cannot write %s: %s", name,
						      strerror(errno));
		}
		/* GIT_FILEMODE_LINK, GIT_FILEMODE_COMMIT: not written */
	}
	return 0;
}

/* mkdir -p of `rel` (a repo path) below the directory fd `at`; the last one's fd. */
static int mkdirs(int at, const char *rel)
{
	char *copy = mech_strdup(rel), *save = NULL, *tok;
	int fd = dup(at);
	for (tok = strtok_r(copy, "/", &save); tok && fd >= 0; tok = strtok_r(NULL, "/", &save)) {
		int next;
		if (mkdirat(fd, tok, 0700) < 0 && errno != EEXIST)
			next = -1;
		else
			next = openat(fd, tok, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	free(copy);
	return fd;
}

/* ---- the build ---- */

/* Replace every occurrence of `what` in s by `with`. */
static char *replace_all(const char *s, const char *what, const char *with)
{
	mech_buf b = MECH_BUF_INIT;
	size_t n = strlen(what);
	const char *p;
	while (n && (p = strstr(s, what))) {
		mech_buf_put(&b, s, (size_t)(p - s));
		mech_buf_puts(&b, with);
		s = p + n;
	}
	mech_buf_puts(&b, s);
	return mech_buf_detach(&b);
}

/*
 * kubectl logs its error as `E1203 … run.go:72] "command failed" err="…"`
 * (a Go-quoted string), or, when it spans lines, as `err=<` followed by
 * the lines indented by a tab and ` >`; the kustomize binary Argo CD runs
 * prints the same error as `Error: …`. Give the latter, on one line; any
 * other stderr as it is.
 */
static char *kustomize_error(const char *stderr_text)
{
	const char *q = strstr(stderr_text, " err=\""), *m = strstr(stderr_text, " err=<\n");
	mech_buf b = MECH_BUF_INIT;
	const char *p;
	size_t i, n;

	if (q) {
		mech_buf_puts(&b, "Error: ");
		for (p = q + 6; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1]) {
				p++;
				mech_buf_putc(&b, *p == 'n' ? '\n' : *p == 't' ? '\t' : *p);
			} else {
				mech_buf_putc(&b, *p);
			}
		}
	} else if (m) {
		mech_buf_puts(&b, "Error: ");
		for (p = m + 7; *p == '\t';) {
			size_t len = strcspn(++p, "\n");
			mech_buf_put(&b, p, len);
			mech_buf_putc(&b, '\n');
			p += len;
			if (*p == '\n')
				p++;
		}
	} else {
		mech_buf_puts(&b, stderr_text);
	}
	/* trimmed, on one line, runs of blanks as one */
	for (i = 0, n = 0; i < b.len; i++) {
		char c = b.ptr[i] == '\n' || b.ptr[i] == '\r' || b.ptr[i] == '\t' ? ' ' : b.ptr[i];
		if (c == ' ' && (n == 0 || b.ptr[n - 1] == ' '))
			continue;
		b.ptr[n++] = c;
	}
	while (n && b.ptr[n - 1] == ' ')
		n--;
	b.len = n;
	if (b.ptr)
		b.ptr[n] = '\0';
	if (!b.len)
		mech_buf_puts(&b, "(no message)");
	return mech_buf_detach(&b);
}

/* Build `dir` from a copy of `anc` (tree `t`); fills c->out or c->error. */
static void build(git_repository *repo, git_tree *t, const char *dir, cache_entry *c)
{
	char *root = mech_sprintf("%s/mech-sim-kustomize.XXXXXX", tmp_base());
	char *target = NULL, *cmd = NULL, **env = NULL;
	copy_ctx cc = {repo, 0, 0};
	run_result r;
	int rootfd = -1, fd = -1;

	memset(&r, 0, sizeof(r));
	if (!mkdtemp(root)) {
		c->error = mech_sprintf("cannot make a temporary directory under %s: %s",
					tmp_base(), strerror(errno));
		c->transient = 1;
		free(root);
		return;
	}
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = rootfd < 0 ? -1 : mkdirs(rootfd, c->anc);
	if (fd < 0 || copy_tree(&cc, t, fd, 0) < 0) {
		const mech_error *e = mech_error_last();
		c->error = mech_sprintf("cannot copy %s for kustomize: %s",
					*c->anc ? c->anc : "the repository",
					e && e->message ? e->message : strerror(errno));
		mech_error_clear();
		c->transient = 1;
		goto done;
	}
	target = mech_sprintf("%s/%s", root, dir);
	cmd = mech_sprintf("`kustomize build " CACHED_SOURCE "/%s`", dir);
	env = child_env(root);
	{
		char *argv[] = {K.kubectl, (char *)"kustomize", target, NULL};
		if (run(argv, root, env, BUILD_TIMEOUT_MS, &r) < 0) {
			c->error = mech_sprintf("%s failed: %s %s", cmd, K.kubectl, r.why);
			c->transient = 1;
		} else if (r.status != 0) {
			char *msg = kustomize_error(mech_buf_cstr(&r.err));
			char *clean = replace_all(msg, root, CACHED_SOURCE);
			c->error = mech_sprintf("%s failed exit status %d: %s", cmd, r.status,
						clean);
			free(msg);
			free(clean);
		} else {
			c->out = mech_strdup(mech_buf_cstr(&r.out));
		}
	}
done:
	run_dispose(&r);
	if (fd >= 0)
		close(fd);
	if (rootfd >= 0)
		close(rootfd);
	rm_tree(root);
	env_free(env);
	free(cmd);
	free(target);
	free(root);
}

/* The cache slot for (dir, anc at id): a hit, or a slot to build into (c->dir NULL). */
static cache_entry *cache_slot(const char *dir, const char *anc, const git_oid *id)
{
	cache_entry *c;
	size_t i;
	for (i = 0; i < K.ncache; i++) {
		c = &K.cache[i];
		if (strcmp(c->dir, dir) || strcmp(c->anc, anc) || !git_oid_equal(&c->tree, id))
			continue;
		if (c->transient)
			cache_entry_dispose(c); /* built again in the same slot */
		return c;
	}
	if (K.ncache < CACHE_MAX)
		return &K.cache[K.ncache++];
	c = &K.cache[K.next];
	K.next = (K.next + 1) % CACHE_MAX;
	cache_entry_dispose(c);
	return c;
}

static int build_cached(git_repository *repo, git_tree *root, const char *dir, mech_buf *out)
{
	mech_strv seen = MECH_STRV_INIT;
	char *anc = mech_strdup(dir);
	git_tree_entry *e = NULL;
	git_tree *t = NULL;
	git_oid id;
	cache_entry *c;
	int rc = -1;

	if (follow(repo, root, dir, 0, anc, &seen) < 0)
		goto done;
	if (!*anc) {
		git_oid_cpy(&id, git_tree_id(root));
	} else if (git_tree_entry_bypath(&e, root, anc) < 0 ||
		   git_tree_entry_type(e) != GIT_OBJECT_TREE) {
		mech_error_set(MECH_EINVALID, "%s: no such directory", anc);
		goto done;
	} else {
		git_oid_cpy(&id, git_tree_entry_id(e));
	}
	c = cache_slot(dir, anc, &id);
	if (!c->dir) {
		if (*anc && git_tree_lookup(&t, repo, &id) < 0) {
			t = NULL;
			mech_error_git(MECH_EFAILED, "read a directory");
			goto done;
		}
		c->dir = mech_strdup(dir);
		c->anc = mech_strdup(anc);
		git_oid_cpy(&c->tree, &id);
		build(repo, t ? t : root, dir, c);
	}
	if (c->error) {
		mech_error_set(MECH_EINVALID, "%s", c->error);
		goto done;
	}
	mech_buf_clear(out);
	mech_buf_puts(out, c->out ? c->out : "");
	rc = 0;
done:
	git_tree_free(t);
	git_tree_entry_free(e);
	mech_strv_dispose(&seen);
	free(anc);
	return rc;
}

int sim_kustomize_build(git_repository *repo, git_tree *root, const char *dir, mech_buf *out)
{
	int rc;
	if (!K.kubectl)
		return mech_error_set(MECH_EFAILED, "kubectl kustomize is not in use");
	pthread_mutex_lock(&lock);
	rc = build_cached(repo, root, dir, out);
	pthread_mutex_unlock(&lock);
	return rc;
}
