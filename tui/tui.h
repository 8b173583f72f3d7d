/* SPDX-License-Identifier: Apache-2.0 */
#ifndef TUI_H
#define TUI_H

/*
 * mech console: the inspection TUI (DESIGN §10). core/ holds every rule;
 * this front end only presents. One event loop (console.c), one file per
 * view (view_*.c, each a struct tui_view_ops), one table of key actions
 * (keys.c) and one of colour areas (theme.c).
 */

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "mech/addon.h"
#include "mech/app.h"
#include "mech/argocd.h"
#include "mech/brief.h"
#include "mech/history.h"
#include "mech/kube.h"
#include "mech/route.h"

struct sh_ctx;

/* ---- colour areas: name, what it colours ---- */
#define TUI_AREA_INFO(_)                                                                           \
	_(DEFAULT, "default", "plain text")                                                        \
	_(HEADER, "header", "the header line (tenant, connection, data age)")                      \
	_(HEADER_ERROR, "header-error", "the header when Argo CD is unreachable")                  \
	_(TABS, "tabs", "the view tabs line")                                                      \
	_(TAB_ACTIVE, "tab-active", "the current view's tab")                                      \
	_(COLUMN, "column", "column headings")                                                     \
	_(SELECTION, "selection", "the selected row")                                              \
	_(STATUS, "status", "the summary line")                                                    \
	_(MESSAGE, "message", "the message and prompt line")                                       \
	_(ERROR, "error", "errors")                                                                \
	_(TITLE, "title", "section titles in detail views")                                        \
	_(LABEL, "label", "field labels and trailers")                                             \
	_(DIM, "dim", "less important text (shas, ages)")                                          \
	_(SYNCED, "synced", "sync status Synced")                                                  \
	_(OUT_OF_SYNC, "out-of-sync", "sync status OutOfSync")                                     \
	_(HEALTHY, "healthy", "health Healthy")                                                    \
	_(PROGRESSING, "progressing", "health Progressing (and Suspended)")                        \
	_(DEGRADED, "degraded", "health Degraded")                                                 \
	_(MISSING, "missing", "health Missing")                                                    \
	_(UNKNOWN, "unknown", "status Unknown or not reported")                                    \
	_(HUMAN, "human", "human-authored commits")                                                \
	_(MACHINE, "machine", "machine-authored receipts")                                         \
	_(FORCED, "forced", "forced overwrites")                                                   \
	_(DIFF_ADD, "diff-add", "added lines")                                                     \
	_(DIFF_DEL, "diff-del", "removed lines")                                                   \
	_(DIFF_HUNK, "diff-hunk", "hunk headers (@@)")                                             \
	_(DIFF_HEADER, "diff-header", "file headers in a diff")                                    \
	_(TREE, "tree", "resource tree branches")                                                  \
	_(SEARCH, "search", "search matches in text views")

/* clang-format off */
typedef enum {
#define TUI__AREA_ENUM(id, name, help) TUI_AREA_##id,
	TUI_AREA_INFO(TUI__AREA_ENUM)
#undef TUI__AREA_ENUM
	TUI_AREA__COUNT
} tui_area;
/* clang-format on */

/* ---- key actions: id, name, keymap, default keys (up to two), help ---- */
#define TUI_ACTION_INFO(_)                                                                         \
	_(VIEW_APPS, "view-apps", "generic", "1", NULL, "apps: instances with sync and health")    \
	_(VIEW_ROUTES, "view-routes", "generic", "2", NULL, "routes")                              \
	_(VIEW_ADDONS, "view-addons", "generic", "3", NULL, "addons")                              \
	_(VIEW_HISTORY, "view-history", "generic", "4", NULL, "history: receipts")                 \
	_(VIEW_FORCED, "view-forced", "generic", "5", NULL, "forced overwrites")                   \
	_(MOVE_DOWN, "move-down", "generic", "j", "<Down>", "next row")                            \
	_(MOVE_UP, "move-up", "generic", "k", "<Up>", "previous row")                              \
	_(MOVE_FIRST, "move-first", "generic", "g", "<Home>", "first row")                         \
	_(MOVE_LAST, "move-last", "generic", "G", "<End>", "last row")                             \
	_(PAGE_DOWN, "page-down", "generic", "<PgDn>", "<C-f>", "next page")                       \
	_(PAGE_UP, "page-up", "generic", "<PgUp>", "<C-b>", "previous page")                       \
	_(ENTER, "enter", "generic", "<Enter>", NULL, "drill into the selected row")               \
	_(BACK, "back", "generic", "<Esc>", NULL, "back to the previous view")                     \
	_(QUIT, "quit", "generic", "q", NULL, "back; quit on a top view")                          \
	_(FILTER, "filter", "generic", "/", NULL, "filter rows; search text views (Esc clears)")   \
	_(DIFF, "diff", "generic", "d", NULL, "show the diff of the selected row")                 \
	_(REFRESH, "refresh", "generic", "r", "<C-l>", "reload Git and Argo CD state")             \
	_(PROMPT, "prompt", "generic", ":", NULL, "run a mech command (or :apps, :quit, …)")       \
	_(HELP, "help", "generic", "?", NULL, "this list of keys")                                 \
	_(THEME, "next-theme", "generic", "T", NULL, "next colour theme")                          \
	_(PAUSE, "pause", "generic", "p", NULL, "pause/resume live updates (slow links)")          \
	_(NEXT_HUNK, "next-hunk", "diff", "]", NULL, "next hunk (in a diff)")                      \
	_(PREV_HUNK, "prev-hunk", "diff", "[", "p", "previous hunk (in a diff)")                   \
	/* navigation: logs, events, an instance's history, rollback */                            \
	_(LOGS, "logs", "generic", "l", NULL, "logs of the selected pod or instance")              \
	_(EVENTS, "events", "generic", "e", NULL, "Kubernetes events of the instance")             \
	_(APP_HISTORY, "app-history", "generic", "h", NULL, "the instance's history")              \
	_(REVERT, "revert", "generic", "R", NULL,                                                  \
	  "roll back / restore the selected state (asks first)")                                   \
	_(PREV_CONTAINER, "previous", "logs", "p", NULL, "the previous container's log (toggle)")  \
	_(FOLLOW, "follow", "logs", "f", NULL, "follow the log (toggle)")                          \
	/* input: search, copy */                                                                  \
	_(SEARCH_NEXT, "search-next", "generic", "n", NULL, "next search match (wraps)")           \
	_(SEARCH_PREV, "search-prev", "generic", "N", NULL, "previous search match (wraps)")       \
	_(COPY, "copy", "generic", "y", NULL, "copy the selected row's sha or name")               \
	/* review: the operator's review of forced writes (view 5; R is navigation's "revert") */  \
	_(REVIEW, "review", "generic", "m", NULL, "mark the selected forced write reviewed")

/* clang-format off */
typedef enum {
	TUI_ACT_NONE = 0,
#define TUI__ACT_ENUM(id, name, keymap, k1, k2, help) TUI_ACT_##id,
	TUI_ACTION_INFO(TUI__ACT_ENUM)
#undef TUI__ACT_ENUM
	TUI_ACT__COUNT
} tui_action;
/* clang-format on */

/* keys: a character's code point, or TUI_KEY_FN | an ncurses KEY_* code */
#define TUI_KEY_FN 0x200000
#define TUI_KEY_EOF (-2)
#define TUI_KEY_NONE (-1)

typedef struct {
	char keymap[16];
	int key;
	tui_action action;
} tui_binding;

/* keys.c */
int tui_keys_init(const char *home); /* defaults, then MECH_HOME/console-keys */
void tui_keys_free(void);
/** The action bound to a key in a keymap (the view's first, then "generic"). */
tui_action tui_keys_lookup(const char *keymap, int key);
/** Parse "j", "<Enter>", "<C-f>", "<PgDn>"; -1 if unknown. */
int tui_key_parse(const char *name, size_t len);
/** Name of a key ("<Enter>"); static buffer. */
const char *tui_key_name(int key);
const char *tui_action_name(tui_action a);
const char *tui_action_help(tui_action a);
const char *tui_action_keymap(tui_action a);
/** Every key bound to an action, comma-separated, into buf. */
void tui_keys_describe(tui_action a, char *buf, size_t len);

/* ---- themes (theme.c) ---- */
int tui_theme_load(const char *home, const char *name); /* 0 ok, -1 error set (file:line) */
int tui_theme_parse(const char *file, const char *text, size_t len); /* no screen needed */
/** Apply the loaded theme to the curses colour pairs (after start_color). */
void tui_theme_apply(void);
attr_t tui_theme_attr(tui_area area);
const char *tui_theme_name(void);
/** Name of the theme after the current one in the cycle (caller frees). */
char *tui_theme_next(const char *home);
const char *tui_area_name(tui_area a);
void tui_theme_free(void);

/* ---- the screen model: lines of cells ---- */
typedef enum {
	TUI_LINE_ROW,   /* a table row: one cell per column */
	TUI_LINE_TEXT,  /* cells are segments drawn one after another */
	TUI_LINE_HUNK,  /* a diff hunk header (hunk navigation stops here) */
	TUI_LINE_TITLE, /* a section title */
} tui_line_kind;

typedef struct {
	char *text;
	tui_area area;
	int width; /* display columns, once counted in its view's column widths; else -1 */
} tui_cell;

/**
 * How many cells of a column have each width, so that its widest is known
 * as rows come, change and go without measuring every cell again (widths.c).
 */
typedef struct {
	size_t *count; /* count[w]: cells w columns wide */
	size_t cap, n;
	int max;
} tui_widths;
void tui_widths_add(tui_widths *w, int width);
/** Uncount a cell that was counted (anything else is a bug: fatal). */
void tui_widths_remove(tui_widths *w, int width);
/** The widest counted cell; 0 when none is. */
int tui_widths_max(const tui_widths *w);
void tui_widths_dispose(tui_widths *w);

struct tui_tenant;

typedef struct {
	tui_line_kind kind;
	tui_cell *cells;
	size_t ncells;
	char *key; /* what the row stands for (app/instance, commit sha); may be NULL */
	char *key2;
	struct tui_tenant *tenant; /* whose row it is (borrowed from the data); may be NULL */
	/* A kept row (tui_view_row_kept): what its view made the cells from, in two
	 * parts it compares on the next load, and until when the text holds (an
	 * age: "5s" is "6s" a second later; 0: as long as the parts do). */
	char *made[2];
	long long until;
} tui_line;

typedef struct {
	const char *title;
	int min, max;  /* display columns */
	int priority;  /* lower drops first when the screen is narrow; 0 never drops */
	int trim_left; /* too long: keep the end ("…alice/web:1.4"), as for image references */
	int wide;      /* shown only on a screen at least this many columns wide (0: any) */
} tui_column;

struct tui;
struct tui_view;

/** A view, as tig's view_ops: each view fills lines; the driver draws and navigates. */
struct tui_view_ops {
	const char *name;   /* "apps", "commit", … */
	const char *keymap; /* "generic" or "diff" */
	/** Rebuild v->lines from the current data. */
	int (*load)(struct tui *t, struct tui_view *v);
	/** Enter (or `d`, with diff=1) on a line: open a drill-down. Optional. */
	int (*enter)(struct tui *t, struct tui_view *v, const tui_line *line, int diff);
	/** A view-specific action; return the action when not consumed. Optional. */
	tui_action (*request)(struct tui *t, struct tui_view *v, tui_action a);
	/** The summary line (counts). Optional. */
	void (*summary)(struct tui *t, struct tui_view *v, mech_buf *out);
	void (*done)(struct tui_view *v);
	int live; /* reload when Git or Argo CD data changes */
	/** About every second while shown (not paused); 1 = redraw. Optional. */
	int (*tick)(struct tui *t, struct tui_view *v);
	/**
	 * The watch changed these Applications (names): update only what shows
	 * them. -1: reload instead. Optional (live views reload).
	 */
	int (*live_update)(struct tui *t, struct tui_view *v, const mech_strv *names);
};

typedef struct tui_view {
	const struct tui_view_ops *ops;
	char *title;
	const tui_column *cols;
	size_t ncols;
	tui_line *lines;
	size_t nlines, cap;
	size_t *vis; /* indexes of lines matching the filter */
	size_t nvis;
	size_t cursor; /* in vis */
	size_t top;
	char *search;     /* text views: what `/` looks for (highlighted) */
	size_t search_at; /* the vis index of the current match */
	char *filter;
	int selectable; /* rows are selectable (lists); else the cursor is the top line */
	void *priv;
	struct tui_tenant *tenant; /* a drill-down's tenant (borrowed); NULL for top views */
	struct tui_view *prev;     /* the view this one was opened from */
	unsigned gen;              /* bumped when lines are added or cleared, or cells uncounted */
	unsigned natw_gen;         /* the gen natw was measured at (0: never) */
	int *natw;                 /* each column's widest cell (draw.c) */
	tui_widths *colw;          /* each column's counted cells, ncolw of them (or NULL) */
	size_t ncolw;
	/* while a reload runs: the lines of the last load, for tui_view_row_kept */
	tui_line *old;
	size_t nold, old_next, old_cap_lines;
	size_t *old_index; /* open addressing over old by key (built on the first miss) */
	size_t old_cap;    /* its slots (0: not built) */
} tui_view;

/* view.c: lines and the generic driver */
tui_line *tui_view_add(tui_view *v, tui_line_kind kind, const char *key);
void tui_line_cell(tui_line *l, tui_area area, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** Set cell i of a view's line (i == l->ncells adds it), uncounting the old one's width. */
void tui_view_cell_set(tui_view *v, tui_line *l, size_t i, tui_area area, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/** Count the widths of the row cells not counted yet; each column's widest cell, ncols long. */
const int *tui_view_widths(tui_view *v);
void tui_view_clear(tui_view *v);
void tui_view_free(tui_view *v);
/** Reload a view keeping the selection on the same key. */
void tui_view_reload(struct tui *t, tui_view *v);
void tui_view_refilter(tui_view *v);
const tui_line *tui_view_selected(const tui_view *v);
void tui_view_move(tui_view *v, long delta, int body_rows);
void tui_view_goto_line(tui_view *v, size_t line_index);
/**
 * Text views: scroll to the next (dir 1) or previous (dir -1) line matching
 * v->search, keeping a few lines of context above it, wrapping around (then
 * *wrapped is set). `again`: past the current match (n/N), else from the top
 * line. 0 when nothing matches.
 */
int tui_view_search(tui_view *v, int dir, int again, int body_rows, int *wrapped);
/** Lines matching v->search, and which of them (1-based) is the current one. */
size_t tui_view_search_count(const tui_view *v, size_t *current);
tui_view *tui_view_new(const struct tui_view_ops *ops, const tui_column *cols, size_t ncols,
		       int selectable);
/**
 * A top view's table. cols[0] is the TENANT column, shown only in operator
 * mode; tui_view_row() fills it.
 */
tui_view *tui_view_table(struct tui *t, const struct tui_view_ops *ops, const tui_column *cols,
			 size_t ncols);
/** A row of a tenant's (in operator mode it starts with the tenant's name). */
tui_line *tui_view_row(struct tui *t, tui_view *v, struct tui_tenant *tn, const char *key);
/**
 * In a load: the row of the last load with the same tenant, key and key2,
 * moved into place with its cells and `made` (*kept = 1), else a new row
 * as tui_view_row gives, with key2 set (*kept = 0). Rows the load does not
 * ask for again are dropped when it returns.
 */
tui_line *tui_view_row_kept(struct tui *t, tui_view *v, struct tui_tenant *tn, const char *key,
			    const char *key2, int *kept);
/** Text line helper: one segment. */
tui_line *tui_view_text(tui_view *v, tui_area area, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** A drill-down's title: "logs web/main", in operator mode "logs alice/web/main". */
char *tui_instance_title(struct tui *t, struct tui_tenant *tn, const char *what, const char *app,
			 const char *instance);
/** Lines of a unified diff, coloured. */
void tui_view_diff(tui_view *v, const char *diff);

/* ---- data: each tenant's Git state and the live Argo CD map (data.c) ---- */
typedef enum {
	TUI_CONN_NOT_CONFIGURED,
	TUI_CONN_CONNECTING,
	TUI_CONN_LIVE,
	TUI_CONN_RECONNECTING,
	TUI_CONN_PAUSED,
} tui_conn;

/* What a tenant's data holds. Nothing is read before a view shows it. */
#define TUI_HAVE_APPS 0x01
#define TUI_HAVE_ROUTES 0x02
#define TUI_HAVE_ADDONS 0x04
#define TUI_HAVE_LOG 0x08
#define TUI_HAVE_FORCED 0x10 /* walks the whole history the first time: "loading…" */

/**
 * One tenant: desired state and receipts read from its repo, on the loop's
 * thread only. A moved branch drops what was read, except the forced list
 * and the apps, which take only what the new commits changed; views read
 * again what they show.
 */
typedef struct tui_tenant {
	char *name;
	mech_repo *repo;
	git_oid head;
	int have_head;
	unsigned have; /* TUI_HAVE_* read at head */
	mech_app_state *apps;
	size_t napps;
	git_oid apps_at; /* the commit apps were listed at: a moved head updates them from it */
	int apps_listed;
	mech_route_state *routes;
	size_t nroutes;
	mech_addon_state *addons;
	size_t naddons;
	mech_log_entry *log; /* the newest receipts, a page at a time */
	size_t nlog;
	size_t log_want; /* how many the history view asked for */
	int log_more;    /* older receipts exist past the last one read */
	mech_log_entry *forced;
	size_t nforced;
	git_oid forced_at; /* the head the forced list is complete for */
	char *git_error;
	mech_briefs *briefs;           /* commit → author, time, summary; opened on first use */
	struct mech_live_reach *reach; /* REVISION's "↓": one walk per synced revision */
} tui_tenant;

typedef struct {
	const mech_config *cfg;
	int all_tenants;      /* operator mode: every tenant of MECH_HOME */
	tui_tenant **tenants; /* sorted by name; each lives until close */
	size_t ntenants;
	const char *project; /* what Argo CD lists and watches: the tenant, NULL for all */
	int configured;      /* argocd.url is set (fixed at open; read without the lock) */
	unsigned git_gen;

	/* live: shared with the watch thread under mu */
	pthread_mutex_t mu;
	mech_argocd_apps *live; /* NULL until the first answer; items kept sorted by name */
	tui_conn conn;
	char *live_error;
	long long retry_at_ms;
	long long live_fresh_ms; /* last connect, event or keepalive */
	unsigned live_gen;
	int live_loaded;
	/* the Applications the watch changed since the loop took them (tui_data_live_take);
	 * changed_all: a whole list came in, or more changed than is worth naming */
	mech_strv changed;
	int changed_all;
	pthread_t thread;
	int thread_running;
	atomic_int cancel;
	int wake[2];               /* self-pipe: the watch thread writes a byte per change */
	mech_argocd *ui_client;    /* main thread: refresh, detail views */
	mech_argocd *watch_client; /* the watch thread */
	mech_argocd *list_client;  /* the watch thread: a full list on each (re)connect */
} tui_data;

/** Open one tenant's data, or with tenant NULL every tenant's (operator mode). */
int tui_data_open(tui_data *d, const mech_config *cfg, const char *tenant);
void tui_data_close(tui_data *d);
/** Operator mode: add tenants created since (on refresh). 1 = some were added. */
int tui_data_rescan(tui_data *d);
/** Notice moved branches (or, with force, drop everything read). 1 = something changed. */
int tui_data_git_poll(tui_data *d, int force);
/** Read what a tenant lacks of `what` (TUI_HAVE_*); a failure is kept in git_error. */
void tui_data_need(tui_tenant *tn, unsigned what);
/** Every tenant has all of `what`. */
int tui_data_have(const tui_data *d, unsigned what);
/**
 * Merging the tenants' receipt lists newest first (log, or forced when
 * `forced`): the tenant whose next entry, at[i] into its list, is the
 * newest, with its index in *i; NULL when every list is used up.
 */
tui_tenant *tui_data_newest(const tui_data *d, const size_t *at, int forced, size_t *i);
/** The next page of history for every tenant that has more. 1 = something was added. */
int tui_data_more_log(tui_data *d);
/** The tenant of that name, or NULL. */
tui_tenant *tui_data_tenant(tui_data *d, const char *name);
/** Start/stop the watch thread (no-op when Argo CD is not configured). */
void tui_data_live_start(tui_data *d);
void tui_data_live_stop(tui_data *d);
/** A synchronous list from Argo CD (refresh, script mode). */
int tui_data_live_list(tui_data *d);
/* Live data is read under the lock: */
void tui_data_lock(tui_data *d);
void tui_data_unlock(tui_data *d);
/**
 * The Applications changed since the last call, into names (empty first); 1
 * when it is all of them (a list came in), and names stays empty.
 */
int tui_data_live_take(tui_data *d, mech_strv *names);
/** The tenant's live Application of that name, or NULL. Borrowed, under the lock. */
const mech_argocd_app *tui_data_app(tui_data *d, const tui_tenant *tn, const char *name);
/** The live Application of a tenant's app instance, or NULL. Borrowed, under the lock. */
const mech_argocd_app *tui_data_instance(tui_data *d, const tui_tenant *tn, const char *app,
					 const char *instance);
/**
 * A resource of the tenant's Application over a directory (MECH_LAYOUT_NETWORK,
 * MECH_LAYOUT_ADDONS), or NULL. Under the lock.
 */
const mech_argocd_resource *tui_data_resource(tui_data *d, const tui_tenant *tn, const char *dir,
					      const char *kind, const char *name);
long long tui_now_ms(void);
/** "Name" of "Name <email>". */
void tui_author_name(const char *author, char *buf, size_t len);
/**
 * What is shown of a commit (mech/brief.h), from the tenant's brief cache or
 * Git; NULL without a repo. tui_briefs_save() writes the cache once `fresh`
 * or more briefs were read from Git (0: whenever any was).
 */
const mech_brief *tui_brief(tui_tenant *tn, const git_oid *id);
void tui_briefs_save(tui_tenant *tn, size_t fresh);
/** Author name, commit time and subject of a commit (caller frees the strings). */
int tui_commit_brief(tui_tenant *tn, const char *sha, char **author, long long *time,
		     char **subject);
/** "machine alice" for a last writer. */
void tui_writer_text(tui_tenant *tn, const mech_writer *w, char *buf, size_t len);
tui_area tui_status_area(const char *status);
tui_area tui_class_area(mech_class cls);

/* ---- the console ---- */
typedef enum {
	TUI_MODE_NORMAL,
	TUI_MODE_PROMPT,
	TUI_MODE_FILTER,
	TUI_MODE_CONFIRM,
	TUI_MODE_SEARCH
} tui_mode;

struct tui {
	struct sh_ctx *ctx;
	const char *home;
	tui_data data;
	tui_view *top[5]; /* apps, routes, addons, history, forced */
	tui_view *view;   /* the current view (top or drill-down) */
	tui_mode mode;
	mech_buf input; /* prompt / filter text */
	char *pending;  /* a command waiting for confirmation (it deletes, or names no tenant) */
	tui_tenant *pending_tenant; /* operator mode: the tenant it runs as */
	const char *pending_why;    /* "It deletes.", "It writes." */
	char *message;
	int message_error;
	int paused;
	int readonly;
	int color;
	int dirty; /* the body must be redrawn */
	/* the watch changed what is shown: drawn at most every LIVE_DRAW_MS (console.c) */
	int live_dirty;
	long long live_drawn_ms;
	int running;
	int script;    /* headless scripted mode */
	int via_ssh;   /* a tenant's key over SSH: no operator mode, no files written */
	unsigned slow; /* TUI_HAVE_* a view asked for that takes long: read after the next draw */
	unsigned seen_git_gen, seen_live_gen;
	int body_rows;
	/* input.c: the prompt's history and completions, the mouse, the clipboard */
	char *hist_file;    /* NULL: history kept in memory only (over SSH) */
	size_t input_point; /* the prompt's cursor, a byte offset into input */
	char *completions;  /* Tab's candidates, shown on the status line */
	int mouse;
};

void tui_message(struct tui *t, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** Push a drill-down view. */
void tui_push(struct tui *t, tui_view *v);
/** Run a command line through sh_run and show its output (prompt.c). */
void tui_run_command(struct tui *t, const char *line);
void tui_prompt_submit(struct tui *t, const char *line);
void tui_confirm_key(struct tui *t, int key);
/**
 * A write from a key: run `line --dry-run` as tn and show its plan, then ask
 * before running `line` as tn (why: "It writes."). A failed plan asks nothing.
 */
void tui_plan_and_ask(struct tui *t, tui_tenant *tn, const char *line, const char *why);

/* input.c */
void tui_input_open(struct tui *t);  /* history, mouse (after the screen starts) */
void tui_input_close(struct tui *t); /* history trimmed and dropped */
/** `:` opens the prompt: readline edits the line (history, Tab completion). */
void tui_prompt_start(struct tui *t);
/** A key while the prompt is open; Enter runs the line, Esc closes it. */
void tui_prompt_key(struct tui *t, int key);
/** Remember a line run from the prompt. */
void tui_history_add(struct tui *t, const char *line);
/** y: the selected row's sha or name, to the clipboard (OSC 52) and the message line. */
void tui_copy(struct tui *t);
typedef enum { TUI_MOUSE_CLICK, TUI_MOUSE_WHEEL_UP, TUI_MOUSE_WHEEL_DOWN } tui_mouse_kind;
/** A mouse event at screen cell (x, y): a tab, a row, or the wheel. */
void tui_mouse(struct tui *t, tui_mouse_kind kind, int x, int y);
/** KEY_MOUSE from curses: read the event and act on it. */
void tui_mouse_key(struct tui *t);
/** Parse a script's "<click X Y>", "<wheel-up X Y>", "<wheel-down X Y>"; -1 if not one. */
int tui_mouse_parse(const char *s, size_t len, tui_mouse_kind *kind, int *x, int *y);

/* draw.c */
/** The top view whose tab is at column x of the tabs line, or -1. */
int tui_tab_at(struct tui *t, int x);
/** Display width of a UTF-8 string. */
int tui_width(const char *s);
/** Draw text at (y, x) within `cols` columns; returns the columns used. */
int tui_put(int y, int x, int cols, const char *s, attr_t attr);
void tui_draw(struct tui *t);
void tui_draw_header(struct tui *t);
/** The screen's text into a file; with attrs, each row followed by its cells' colour areas. */
int tui_screen_save(const char *path, int attrs);

/* the views */
extern const struct tui_view_ops tui_apps_ops, tui_routes_ops, tui_addons_ops, tui_history_ops,
	tui_forced_ops, tui_app_ops, tui_commit_ops, tui_text_ops;
extern const struct tui_view_ops tui_logs_ops, tui_events_ops, tui_resource_ops,
	tui_app_history_ops;
tui_view *tui_apps_view(struct tui *t);
tui_view *tui_routes_view(struct tui *t);
tui_view *tui_addons_view(struct tui *t);
tui_view *tui_history_view(struct tui *t);
tui_view *tui_forced_view(struct tui *t);
/** The forced writes not reviewed yet, as last shown ((size_t)-1: not read yet). */
size_t tui_forced_unreviewed(const tui_view *v);
/** App detail: resource tree, conditions, live-vs-desired diff. */
tui_view *tui_app_view(struct tui *t, tui_tenant *tn, const char *app, const char *instance,
		       int at_diff);
/** Commit detail for one commit, or a forced commit and the human commits it overrode. */
tui_view *tui_commit_view(struct tui *t, tui_tenant *tn, const char *const *shas, size_t n,
			  int at_diff);
/** One managed resource (kind/namespace/name) of an app instance: live vs desired, events. */
tui_view *tui_resource_view(struct tui *t, tui_tenant *tn, const char *app, const char *instance,
			    const char *resource);
/** The logs of one pod of an app instance (pod NULL: of every pod); follows while shown. */
tui_view *tui_logs_view(struct tui *t, tui_tenant *tn, const char *app, const char *instance,
			const char *pod);
/** The Kubernetes events of an app instance. */
tui_view *tui_events_view(struct tui *t, tui_tenant *tn, const char *app, const char *instance);
/** Lines of the events of an instance's objects (kind NULL) or of one object kind/name. */
void tui_events_lines(struct tui *t, tui_view *v, tui_tenant *tn, const char *app,
		      const char *instance, const char *kind, const char *name);
/** An instance's history (`mech app history`); R rolls back to the selected state. */
tui_view *tui_app_history_view(struct tui *t, tui_tenant *tn, const char *app, const char *instance);
/**
 * The app actions of a row naming an instance (apps list, app detail): l logs
 * (of `pod` when not NULL), e events, h history. TUI_ACT_NONE when handled.
 */
tui_action tui_instance_action(struct tui *t, tui_tenant *tn, const char *app, const char *instance,
			       const char *pod, tui_action a);
/* Addon and route detail (view_addon.c, view_route.c, view_detail.c); selectable lines: an app
 * instance's (key app, key2 instance) opens its detail, a receipt's (key sha) the commit. */
extern const struct tui_view_ops tui_addon_ops, tui_route_ops;
tui_view *tui_addon_view(struct tui *t, tui_tenant *tn, const char *name);
tui_view *tui_route_view(struct tui *t, tui_tenant *tn, const char *app, const char *instance);
/** Argo CD's live and desired state of one resource of the Application over `dir`. */
int tui_detail_live(struct tui *t, tui_tenant *tn, const char *dir, const char *kind,
		    const char *name, cJSON **live, cJSON **target, char **error);
/** The "last writer" line (key: its commit, into sha). */
void tui_detail_writer(tui_view *v, tui_tenant *tn, const mech_writer *w, char *sha, size_t len);
/** Enter (d: at the diff) on a detail line: the app it names, its receipt, else `writer`'s. */
int tui_detail_enter(struct tui *t, tui_view *v, const tui_line *line, const char *writer, int diff);
/** An app instance's line with its live sync and health. */
void tui_detail_instance(struct tui *t, tui_view *v, tui_tenant *tn, const char *app,
			 const char *instance, const char *what);
/** The resource's sync and health in the Application over `dir`. */
void tui_detail_resource(struct tui *t, tui_view *v, tui_tenant *tn, const char *dir,
			 const char *kind, const char *name);
/** Conditions as "Type=Status  Reason: message". */
void tui_detail_conditions(tui_view *v, const mech_kube_condition *c, size_t n, const char *indent);
/** A read-only text view (help, command output). */
tui_view *tui_text_view(const char *title);
tui_view *tui_help_view(void);

#endif
