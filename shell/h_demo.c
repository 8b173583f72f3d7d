/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mech demo: a scripted tour on a temporary home. Each step runs the real
 * binary (or the git CLI, for the human's edit) as a child process and
 * prints the command and what it printed. Nothing outside the temporary
 * home is touched, and no shell is involved.
 */
#include "cmd.h"
#include "handlers.h"
#include "mech/error.h"
#include "mech/layout.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int color;

typedef struct {
	char *self;
	char *home;
	char *clone;
	int failed;
} demo;

static int run(demo *d, const char *cwd, char *const argv[], int show_as_mech)
{
	posix_spawn_file_actions_t fa;
	int pipefd[2], status = 0, i;
	pid_t pid;
	char buf[4096];
	ssize_t n;
	char *prog = show_as_mech ? d->self : (char *)argv[0];

	printf(color ? "\n\033[1m$ %s" : "\n$ %s", show_as_mech ? "mech" : argv[0]);
	for (i = 1; argv[i]; i++)
		printf(strpbrk(argv[i], " ") ? " '%s'" : " %s", argv[i]);
	printf(color ? "\033[0m\n" : "\n");
	fflush(stdout);
	if (pipe(pipefd) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	if (cwd)
		posix_spawn_file_actions_addchdir_np(&fa, cwd);
	{
		char **args = (char **)argv;
		char *saved = args[0];
		args[0] = prog;
		if (posix_spawnp(&pid, prog, &fa, NULL, args, environ) != 0) {
			args[0] = saved;
			posix_spawn_file_actions_destroy(&fa);
			close(pipefd[0]);
			close(pipefd[1]);
			printf("  (cannot run %s: %s)\n", prog, strerror(errno));
			d->failed = 1;
			return -1;
		}
		args[0] = saved;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	while ((n = read(pipefd[0], buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	printf(color ? "\033[2m(exit %d)\033[0m\n" : "(exit %d)\n", status);
	fflush(stdout);
	return status;
}

static void say(const char *text)
{
	printf(color ? "\n\033[36m# %s\033[0m\n" : "\n# %s\n", text);
	fflush(stdout);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void expect(demo *d, int got, int want)
{
	if (got != want) {
		printf("demo: expected exit %d, got %d\n", want, got);
		d->failed = 1;
	}
}

/* Start `mech sim` for the demo home; returns its pid and URL. */
static pid_t start_sim(demo *d, char **url)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = {d->self,          "sim", "--listen", "127.0.0.1:0", "--sync-delay", "1s",
			"--health-delay", "2s",  NULL};
	int fds[2];
	pid_t pid;
	char line[256];
	FILE *f;
	*url = NULL;
	if (pipe(fds) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, d->self, &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	f = fdopen(fds[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "listening on ");
		if (p) {
			*url = mech_strndup(p + 13, strcspn(p + 13, "\n"));
			break;
		}
	}
	if (f)
		fclose(f);
	return pid;
}

/* The second half: Argo CD's view of the receipts, served by mech sim. */
static void live_tour(demo *d)
{
	char *url = NULL, *file;
	FILE *f;
	pid_t sim;
	int st;

	say("Live state. A real deployment points mech at Argo CD and Kubernetes; here\n"
	    "# `mech sim` stands in for both, computing state from the tenant repos.");
	sim = start_sim(d, &url);
	if (sim < 0 || !url) {
		printf("demo: could not start mech sim\n");
		d->failed = 1;
		free(url);
		return;
	}
	printf("mech sim listening on %s\n", url);
	file = mech_sprintf("%s/mech.yaml", d->home);
	f = fopen(file, "w");
	if (f) {
		fprintf(f, "argocd: {url: \"%s\"}\nkubernetes: {url: \"%s\"}\n", url, url);
		fclose(f);
	}
	free(file);
	say("An agent's session: deploy and wait, expose, add a database, wire it.");
	expect(d,
	       run(d, NULL,
		   (char *[]){"mech", "app", "create", "api", "--image", "nginx:1.27", "--port",
			      "80", "--wait", "--timeout", "60s", NULL},
		   1),
	       0);
	expect(d,
	       run(d, NULL,
		   (char *[]){"mech", "route", "-a", "api", "create", "--wait", "--timeout", "60s",
			      NULL},
		   1),
	       0);
	expect(d,
	       run(d, NULL,
		   (char *[]){"mech", "addon", "create", "db", "--type", "postgres", "--wait",
			      "--timeout", "60s", NULL},
		   1),
	       0);
	expect(d, run(d, NULL, (char *[]){"mech", "addon", "-n", "db", "info", NULL}, 1), 0);
	say("What a human sees: apps with live sync and health, and one app in detail.");
	expect(d, run(d, NULL, (char *[]){"mech", "app", "list", NULL}, 1), 0);
	expect(d, run(d, NULL, (char *[]){"mech", "app", "-a", "api", "info", NULL}, 1), 0);
	if (isatty(0) && isatty(1) && !getenv("MECH_DEMO_NO_CONSOLE")) {
		say("The console (q quits).");
		run(d, NULL, (char *[]){"mech", "console", NULL}, 1);
	}
	kill(sim, SIGTERM);
	waitpid(sim, &st, 0);
	free(url);
}

int sh_demo(sh_ctx *ctx, const sh_args *a)
{
	char tmpl[] = "/tmp/mech-demo-XXXXXX";
	demo d;
	char *file;
	(void)a;

	memset(&d, 0, sizeof(d));
	color = ctx->color;
	if (!mkdtemp(tmpl))
		return mech_error_set(MECH_EFAILED, "cannot create a temporary home: %s",
				      strerror(errno));
	d.self = realpath("/proc/self/exe", NULL);
	d.home = mech_sprintf("%s/home", tmpl);
	d.clone = mech_sprintf("%s/alice-clone", tmpl);
	setenv("MECH_HOME", d.home, 1);
	setenv("GIT_AUTHOR_NAME", "Hanna Human", 1);
	setenv("GIT_AUTHOR_EMAIL", "hanna@example.com", 1);
	setenv("GIT_COMMITTER_NAME", "Hanna Human", 1);
	setenv("GIT_COMMITTER_EMAIL", "hanna@example.com", 1);
	setenv("NO_COLOR", "1", 1);
	printf("mech demo: a temporary home at %s\n", d.home);

	say("An operator creates the home and a tenant; the tenant's GitOps repo is seeded.");
	expect(&d, run(&d, NULL, (char *[]){"mech", "admin", "init", NULL}, 1), 0);
	expect(&d, run(&d, NULL, (char *[]){"mech", "admin", "tenant", "add", "alice", NULL}, 1), 0);

	say("An agent deploys an app: one command, one receipt.");
	expect(&d,
	       run(&d, NULL,
		   (char *[]){"mech", "app", "create", "web", "--image", "nginx:1.27", "--port",
			      "80", NULL},
		   1),
	       0);

	say("A human clones the repo, changes the replica count by hand and pushes.");
	{
		char *repo = mech_sprintf("%s/tenants/alice/gitops.git", d.home);
		expect(&d, run(&d, NULL, (char *[]){"git", "clone", "-q", repo, d.clone, NULL}, 0),
		       0);
		free(repo);
	}
	{
		char *overlay = mech_layout_overlay_path("web", MECH_DEFAULT_INSTANCE);
		file = mech_sprintf("%s/%s", d.clone, overlay);
		free(overlay);
	}
	write_file(file, "replicas:\n- name: web\n  count: 3\n");
	free(file);
	expect(&d,
	       run(&d, d.clone,
		   (char *[]){"git", "commit", "-qam", "scale web to 3 for the launch", NULL}, 0),
	       0);
	expect(&d, run(&d, d.clone, (char *[]){"git", "push", "-q", "origin", "HEAD", NULL}, 0), 0);

	say("The agent's next write would overwrite that edit: mech refuses (exit 3) and names the commit.");
	expect(&d,
	       run(&d, NULL,
		   (char *[]){"mech", "app", "-a", "web", "deploy", "--tag", "1.27.1", NULL}, 1),
	       3);

	say("A dry run shows the plan, with each path's last writer, and writes nothing.");
	expect(&d,
	       run(&d, NULL,
		   (char *[]){"mech", "app", "-a", "web", "deploy", "--tag", "1.27.1", "--dry-run",
			      NULL},
		   1),
	       0);

	say("With --force the write lands, and the receipt records whose change it overrode.");
	expect(&d,
	       run(&d, NULL,
		   (char *[]){"mech", "app", "-a", "web", "deploy", "--tag", "1.27.1", "--force",
			      NULL},
		   1),
	       0);

	say("The receipts: machine, human and forced commits, newest first.");
	expect(&d, run(&d, NULL, (char *[]){"mech", "log", NULL}, 1), 0);
	expect(&d, run(&d, NULL, (char *[]){"mech", "show", "HEAD", NULL}, 1), 0);
	say("The same receipts, read by plain git:");
	{
		char *repo = mech_sprintf("--git-dir=%s/tenants/alice/gitops.git", d.home);
		expect(&d,
		       run(&d, NULL,
			   (char *[]){"git", repo, "log", "-3",
				      "--format=%h %an | %cn | %s%n%(trailers:only)", NULL},
			   0),
		       0);
		free(repo);
	}
	live_tour(&d);
	if (!getenv("MECH_DEMO_KEEP")) {
		char *rm[] = {"rm", "-rf", tmpl, NULL};
		pid_t pid;
		int st;
		if (posix_spawnp(&pid, "rm", NULL, NULL, rm, environ) == 0)
			waitpid(pid, &st, 0);
	}
	printf("\n%s\n", d.failed ? "demo: a step did not behave as expected" : "demo: done");
	free(d.self);
	free(d.home);
	free(d.clone);
	ctx->json = 0;
	return d.failed ? mech_error_set(MECH_EFAILED, "the demo did not run as expected") : 0;
}
