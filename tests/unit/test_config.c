/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MECH_HOME and mech.yaml (DESIGN §3, §9): the defaults a fresh home gets,
 * every key, the errors an operator sees for a bad file (exit 78, naming
 * file, line and key), remote URLs per tenant, and where MECH_HOME is.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mech/buf.h"
#include "mech/config.h"
#include "mech/error.h"

static char home[64];

static void setup(void)
{
	const char *root = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(home, sizeof(home), "%s/mech-config-XXXXXX", root);
	cr_assert_not_null(mkdtemp(home));
}

static void teardown(void)
{
	char *cmd = mech_sprintf("rm -rf '%s'", home);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
}

TestSuite(config, .init = setup, .fini = teardown);

static void write_config(const char *text)
{
	char *file = mech_sprintf("%s/mech.yaml", home);
	FILE *f = fopen(file, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	free(file);
}

static mech_config *load_ok(const char *text)
{
	mech_config *cfg = NULL;
	if (text)
		write_config(text);
	cr_assert_eq(mech_config_load(&cfg, home), 0, "%s\n--- mech.yaml:\n%s",
		     mech_error_last() ? mech_error_last()->message : "", text ? text : "(none)");
	return cfg;
}

/* Loading fails with a configuration error (exit 78) whose message holds each part. */
static void expect_config_error(const char *text, int line, const char *part1, const char *part2)
{
	mech_config *cfg = NULL;
	const mech_error *e;
	char *where;
	write_config(text);
	mech_error_clear();
	cr_assert_lt(mech_config_load(&cfg, home), 0, "accepted:\n%s", text);
	e = mech_error_last();
	cr_assert_not_null(e);
	cr_assert_eq(e->code, MECH_ECONFIG, "code %d for: %s", e->code, e->message);
	cr_assert_eq(mech_error_exit(e->code), 78);
	if (line > 0)
		where = mech_sprintf("%s/mech.yaml:%d:", home, line);
	else
		where = mech_sprintf("%s/mech.yaml", home);
	cr_assert(strstr(e->message, where), "\"%s\" does not name %s", e->message, where);
	if (part1)
		cr_assert(strstr(e->message, part1), "\"%s\" lacks \"%s\"", e->message, part1);
	if (part2)
		cr_assert(strstr(e->message, part2), "\"%s\" lacks \"%s\"", e->message, part2);
	free(where);
}

/* ---- defaults and keys ---- */

/* DESIGN §9's values, for a home without mech.yaml. */
static void expect_defaults(const mech_config *cfg)
{
	cr_assert_str_eq(cfg->machine_name, "Mechanics");
	cr_assert_str_eq(cfg->machine_email, "mechanics@localhost");
	cr_assert_str_eq(cfg->gitops_branch, "main");
	cr_assert_str_eq(cfg->gitops_remote, "");
	cr_assert_str_eq(cfg->gitops_ssh_key, "");
	cr_assert_eq(cfg->gitops_retries, 8);
	cr_assert_str_eq(cfg->argocd_url, "");
	cr_assert_str_eq(cfg->argocd_token_file, "");
	cr_assert_str_eq(cfg->argocd_ca_file, "");
	cr_assert_str_eq(cfg->argocd_namespace, "argocd");
	cr_assert_eq(cfg->argocd_timeout_ms, 5000);
	cr_assert_str_eq(cfg->kube_url, "");
	cr_assert_str_eq(cfg->kube_token_file, "");
	cr_assert_str_eq(cfg->kube_ca_file, "");
	cr_assert_str_eq(cfg->routes_base_domain, "apps.localhost");
	cr_assert_str_eq(cfg->routes_gateway_name, "mech");
	cr_assert_str_eq(cfg->routes_gateway_namespace, "mech-gateway");
	cr_assert_eq(cfg->routes_allow_any_host, 0);
	cr_assert_str_eq(cfg->console_theme, "default");
	cr_assert_str_eq(cfg->console_refresh, "live");
	cr_assert_eq(cfg->console_mouse, 1);
	cr_assert_str_eq(cfg->console_clipboard, "osc52");
}

Test(config, defaults_without_mech_yaml)
{
	mech_config *cfg = load_ok(NULL);
	cr_assert_str_eq(cfg->home, home);
	expect_defaults(cfg);
	mech_config_free(cfg);
}

Test(config, empty_or_comment_only_file_gives_defaults)
{
	mech_config *cfg = load_ok("");
	expect_defaults(cfg);
	mech_config_free(cfg);
	cfg = load_ok("# nothing configured yet\n");
	expect_defaults(cfg);
	mech_config_free(cfg);
	/* a section left empty keeps its defaults */
	cfg = load_ok("argocd:\nconsole:\n");
	expect_defaults(cfg);
	mech_config_free(cfg);
}

Test(config, design_example_parses)
{
	/* DESIGN §9, verbatim */
	mech_config *cfg = load_ok(
		"machine: {name: Mechanics, email: mechanics@localhost}\n"
		"gitops:  {branch: main, remote: \"\"}   # e.g. "
		"\"ssh://git@forgejo.example/{tenant}/gitops.git\"\n"
		"argocd:  {url: \"\", token_file: \"\", ca_file: \"\", namespace: argocd, timeout_ms: "
		"5000}\n"
		"kubernetes: {url: \"\", token_file: \"\", ca_file: \"\"}\n"
		"routes:  {base_domain: apps.localhost, gateway: {name: mech, namespace: "
		"mech-gateway}}\n"
		"console: {theme: default, refresh: live}\n");
	expect_defaults(cfg);
	mech_config_free(cfg);
}

Test(config, every_key_is_read)
{
	mech_config *cfg = load_ok("machine:\n"
				   "  name: Robot\n"
				   "  email: robot@mech.example\n"
				   "gitops:\n"
				   "  branch: production\n"
				   "  remote: ssh://git@forgejo.example/{tenant}/gitops.git\n"
				   "  ssh_key: /etc/mech/id_ed25519\n"
				   "  retries: 3\n"
				   "argocd:\n"
				   "  url: https://argocd.example\n"
				   "  token_file: /etc/mech/argocd.token\n"
				   "  ca_file: /etc/mech/ca.pem\n"
				   "  namespace: gitops-system\n"
				   "  timeout_ms: 2500\n"
				   "kubernetes:\n"
				   "  url: https://k8s.example:6443\n"
				   "  token_file: /etc/mech/k8s.token\n"
				   "  ca_file: /etc/mech/k8s-ca.pem\n"
				   "routes:\n"
				   "  base_domain: apps.example.com\n"
				   "  allow_any_host: true\n"
				   "  gateway:\n"
				   "    name: public\n"
				   "    namespace: gateways\n"
				   "console:\n"
				   "  theme: solarized\n"
				   "  refresh: paused\n"
				   "  mouse: false\n"
				   "  clipboard: \"off\"\n");
	cr_assert_str_eq(cfg->machine_name, "Robot");
	cr_assert_str_eq(cfg->machine_email, "robot@mech.example");
	cr_assert_str_eq(cfg->gitops_branch, "production");
	cr_assert_str_eq(cfg->gitops_remote, "ssh://git@forgejo.example/{tenant}/gitops.git");
	cr_assert_str_eq(cfg->gitops_ssh_key, "/etc/mech/id_ed25519");
	cr_assert_eq(cfg->gitops_retries, 3);
	cr_assert_str_eq(cfg->argocd_url, "https://argocd.example");
	cr_assert_str_eq(cfg->argocd_token_file, "/etc/mech/argocd.token");
	cr_assert_str_eq(cfg->argocd_ca_file, "/etc/mech/ca.pem");
	cr_assert_str_eq(cfg->argocd_namespace, "gitops-system");
	cr_assert_eq(cfg->argocd_timeout_ms, 2500);
	cr_assert_str_eq(cfg->kube_url, "https://k8s.example:6443");
	cr_assert_str_eq(cfg->kube_token_file, "/etc/mech/k8s.token");
	cr_assert_str_eq(cfg->kube_ca_file, "/etc/mech/k8s-ca.pem");
	cr_assert_str_eq(cfg->routes_base_domain, "apps.example.com");
	cr_assert_eq(cfg->routes_allow_any_host, 1);
	cr_assert_str_eq(cfg->routes_gateway_name, "public");
	cr_assert_str_eq(cfg->routes_gateway_namespace, "gateways");
	cr_assert_str_eq(cfg->console_theme, "solarized");
	cr_assert_str_eq(cfg->console_refresh, "paused");
	cr_assert_eq(cfg->console_mouse, 0);
	cr_assert_str_eq(cfg->console_clipboard, "off");
	mech_config_free(cfg);
}

Test(config, partial_sections_keep_other_defaults)
{
	mech_config *cfg = load_ok("argocd: {url: \"https://argocd.example\"}\n"
				   "routes: {gateway: {name: public}}\n");
	cr_assert_str_eq(cfg->argocd_url, "https://argocd.example");
	cr_assert_str_eq(cfg->argocd_namespace, "argocd");
	cr_assert_eq(cfg->argocd_timeout_ms, 5000);
	cr_assert_str_eq(cfg->routes_gateway_name, "public");
	cr_assert_str_eq(cfg->routes_gateway_namespace, "mech-gateway");
	cr_assert_str_eq(cfg->routes_base_domain, "apps.localhost");
	mech_config_free(cfg);
	/* quoted numbers and null strings are fine */
	cfg = load_ok("argocd: {timeout_ms: \"750\", url: ~}\ngitops: {remote: null}\n");
	cr_assert_eq(cfg->argocd_timeout_ms, 750);
	cr_assert_str_eq(cfg->argocd_url, "");
	cr_assert_str_eq(cfg->gitops_remote, "");
	mech_config_free(cfg);
}

/* ---- errors: file, line, key ---- */

Test(config, unknown_keys_name_file_line_and_key)
{
	expect_config_error("machine: {name: Robot}\nargo: {url: x}\n", 2, "unknown key argo", NULL);
	expect_config_error("argocd:\n  url: https://a.example\n  urll: https://b.example\n", 3,
			    "argocd.urll", NULL);
	expect_config_error("routes:\n  gateway:\n    name: public\n    nmespace: gw\n", 4,
			    "routes.gateway.nmespace", NULL);
	expect_config_error("console: {theme: default, colour: red}\n", 1, "console.colour", NULL);
	/* a key of one section written in another */
	expect_config_error("gitops:\n  timeout_ms: 100\n", 2, "gitops.timeout_ms", NULL);
}

/* The line is the key's, also when its value starts on the next line. */
Test(config, unknown_key_with_block_value_names_the_key_line)
{
	expect_config_error("machine: {name: Robot}\nargo:\n  url: x\n", 2, "unknown key argo",
			    NULL);
	expect_config_error("routes:\n  gatewy:\n    name: public\n", 2, "routes.gatewy", NULL);
}

Test(config, bad_integers_are_refused)
{
	static const char *const bad[] = {"abc",  "1.5",    "5s",  "-1",
					  "99",   "600001", "1e3", "99999999999999999999",
					  "\"\"", "true",   "[1]", "{a: 1}"};
	size_t i;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char *text = mech_sprintf("argocd:\n  namespace: argocd\n  timeout_ms: %s\n",
					  bad[i]);
		expect_config_error(text, 3, "argocd.timeout_ms", NULL);
		free(text);
	}
	expect_config_error("gitops: {retries: 0}\n", 1, "gitops.retries", NULL);
	expect_config_error("gitops: {retries: 101}\n", 1, "gitops.retries", NULL);
	/* and the bounds themselves are fine */
	{
		mech_config *cfg = load_ok("gitops: {retries: 1}\nargocd: {timeout_ms: 600000}\n");
		cr_assert_eq(cfg->gitops_retries, 1);
		cr_assert_eq(cfg->argocd_timeout_ms, 600000);
		mech_config_free(cfg);
	}
}

Test(config, bad_booleans_are_refused)
{
	static const char *const bad[] = {"yes", "1", "on", "maybe", "\"\"", "[true]"};
	size_t i;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char *text = mech_sprintf("routes:\n  allow_any_host: %s\n", bad[i]);
		expect_config_error(text, 2, "routes.allow_any_host", NULL);
		free(text);
	}
}

Test(config, bad_enumerations_are_refused)
{
	expect_config_error("console:\n  theme: default\n  refresh: sometimes\n", 3,
			    "console.refresh", "sometimes");
	expect_config_error("console: {clipboard: xclip}\n", 1, "console.clipboard", "xclip");
}

Test(config, wrong_shapes_are_refused)
{
	expect_config_error("argocd: https://argocd.example\n", 1, "argocd", "mapping");
	expect_config_error("- machine\n- gitops\n", 1, "mapping", NULL);
	expect_config_error("argocd:\n  url: {host: a}\n", 2, "argocd.url", NULL);
	expect_config_error("routes:\n  gateway: public\n", 2, "routes.gateway", NULL);
	/* duplicate sections and YAML syntax errors are configuration errors too */
	expect_config_error("argocd: {url: a}\nconsole: {}\nargocd: {url: b}\n", 3, "duplicate",
			    "argocd");
	expect_config_error("argocd:\n  url: a\n url2: b\n", 3, NULL, NULL);
	expect_config_error("a: &x 1\n", 1, "anchor", NULL);
}

/* ---- derived values ---- */

Test(config, remote_url_per_tenant)
{
	mech_config *cfg = load_ok(
		"gitops: {remote: \"ssh://git@forgejo.example/{tenant}/gitops.git\"}\n");
	char *url = mech_config_remote_for(cfg, "alice");
	cr_assert_str_eq(url, "ssh://git@forgejo.example/alice/gitops.git");
	free(url);
	mech_config_free(cfg);

	cfg = load_ok("gitops: {remote: \"/srv/git/{tenant}/{tenant}-gitops.git\"}\n");
	url = mech_config_remote_for(cfg, "bob");
	cr_assert_str_eq(url, "/srv/git/bob/bob-gitops.git");
	free(url);
	mech_config_free(cfg);

	/* one shared remote without {tenant} is used as written */
	cfg = load_ok("gitops: {remote: \"https://git.example/shared.git\"}\n");
	url = mech_config_remote_for(cfg, "bob");
	cr_assert_str_eq(url, "https://git.example/shared.git");
	free(url);
	mech_config_free(cfg);

	/* no remote: an empty string, not NULL */
	cfg = load_ok("gitops: {branch: main}\n");
	url = mech_config_remote_for(cfg, "alice");
	cr_assert_not_null(url);
	cr_assert_str_eq(url, "");
	free(url);
	mech_config_free(cfg);
}

/* A URL with a password is refused, naming the key and never echoing the secret. */
static void expect_password_refused(const char *text, int line, const char *key)
{
	expect_config_error(text, line, key, "password");
	cr_assert_null(strstr(mech_error_last()->message, "s3cr3t"), "echoed: %s",
		       mech_error_last()->message);
}

Test(config, urls_with_a_password_are_refused)
{
	mech_config *cfg;
	expect_password_refused("gitops:\n  remote: \"https://bob:s3cr3t@git.example/{tenant}.git\"\n",
				2, "gitops.remote");
	expect_password_refused("gitops: {remote: \"ssh://git:s3cr3t@git.example:2222/x.git\"}\n",
				1, "gitops.remote");
	expect_password_refused("gitops: {remote: \"git:s3cr3t@git.example:x.git\"}\n", 1,
				"gitops.remote");
	expect_password_refused("argocd:\n  repo_url: \"https://a:s3cr3t@b@git.example/x\"\n", 2,
				"argocd.repo_url");
	/* a user without a password, or an '@' in the path, is fine */
	cfg = load_ok("gitops: {remote: \"https://bob@git.example/a@b:c.git\"}\n"
		      "argocd: {repo_url: \"ssh://git@git.example:2222/{tenant}.git\"}\n");
	cr_assert_str_eq(cfg->argocd_repo_url, "ssh://git@git.example:2222/{tenant}.git");
	mech_config_free(cfg);
	cfg = load_ok("gitops: {remote: \"/srv/a:b@c/{tenant}.git\"}\n");
	mech_config_free(cfg);
}

Test(config, paths_under_home)
{
	mech_config *cfg = load_ok(NULL);
	char *want, *got;
	got = mech_config_tenant_dir(cfg, "alice");
	want = mech_sprintf("%s/tenants/alice", home);
	cr_assert_str_eq(got, want);
	free(got);
	free(want);
	got = mech_config_repo_path(cfg, "alice");
	want = mech_sprintf("%s/tenants/alice/gitops.git", home);
	cr_assert_str_eq(got, want);
	free(got);
	free(want);
	got = mech_config_cache_dir(cfg, "alice");
	want = mech_sprintf("%s/cache/alice", home);
	cr_assert_str_eq(got, want);
	free(got);
	free(want);
	mech_config_free(cfg);
}

/* ---- MECH_HOME: --home > $MECH_HOME > /var/lib/mech (root) or $XDG_DATA_HOME/mech ---- */

static void expect_home(const char *flag, const char *want)
{
	char *got = mech_home_resolve(flag);
	cr_assert_str_eq(got, want, "--home %s", flag ? flag : "(none)");
	free(got);
}

Test(config, home_flag_beats_environment)
{
	setenv("MECH_HOME", "/srv/from-env", 1);
	setenv("XDG_DATA_HOME", "/srv/xdg", 1);
	expect_home("/srv/from-flag", "/srv/from-flag");
	expect_home(NULL, "/srv/from-env");
	expect_home("", "/srv/from-env"); /* an empty flag is no flag */
	setenv("MECH_HOME", "", 1);       /* nor is an empty variable */
	unsetenv("XDG_DATA_HOME");
	if (geteuid() == 0)
		expect_home(NULL, "/var/lib/mech");
}

Test(config, relative_home_becomes_absolute)
{
	char *want = mech_sprintf("%s/rel/home", home);
	char *real_home = realpath(home, NULL);
	char *want_real = mech_sprintf("%s/rel/home", real_home);
	char *got;
	cr_assert_eq(chdir(home), 0);
	unsetenv("MECH_HOME");
	got = mech_home_resolve("rel/home"); /* does not exist yet */
	cr_assert(!strcmp(got, want) || !strcmp(got, want_real), "%s", got);
	cr_assert_eq(got[0], '/');
	free(got);
	free(want);
	free(want_real);
	free(real_home);
}

/* What mech_home_resolve says for an unprivileged user: computed in a child that drops root. */
static char *resolve_as_user(void)
{
	int fds[2];
	pid_t pid;
	char buf[512];
	ssize_t n;
	int status;
	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char *h;
		close(fds[0]);
		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(2);
		h = mech_home_resolve(NULL);
		if (write(fds[1], h, strlen(h)) < 0)
			_exit(3);
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed: %d", status);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	return mech_strdup(buf);
}

Test(config, user_home_follows_xdg)
{
	char *got;
	unsetenv("MECH_HOME");
	setenv("XDG_DATA_HOME", "/srv/xdg-data", 1);
	setenv("HOME", "/home/someone", 1);
	got = resolve_as_user();
	cr_assert_str_eq(got, "/srv/xdg-data/mech");
	free(got);
	unsetenv("XDG_DATA_HOME");
	got = resolve_as_user();
	cr_assert_str_eq(got, "/home/someone/.local/share/mech");
	free(got);
	/* and $MECH_HOME still wins for a user */
	setenv("MECH_HOME", "/srv/mine", 1);
	got = resolve_as_user();
	cr_assert_str_eq(got, "/srv/mine");
	free(got);
}
