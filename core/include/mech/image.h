/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_IMAGE_H
#define MECH_IMAGE_H

/*
 * Container image references (DESIGN §6 Input rules), following the
 * OCI/Docker reference grammar of distribution/reference:
 *
 *   reference  := repository [ ":" tag ] [ "@" digest ]
 *   repository := [ domain "/" ] component ( "/" component )*
 *   domain     := host [ ":" port ]      host: DNS-ish labels (any case) or [IPv6]
 *   component  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest     := "sha256:" 64 lower-case hex | "sha512:" 128 lower-case hex
 *
 * The first component is a domain when it contains "." or ":", is
 * "localhost", or has upper-case letters (as docker decides); every other
 * component must be lower case. The repository is at most 255 characters.
 *
 * A reference with neither tag nor digest is valid and means "latest", as
 * for docker and Kubernetes. It is kept as written (tag stays NULL), so the
 * manifests say what the user typed; writers that need an explicit tag
 * (kustomize `newTag`) spell it "latest".
 */

typedef struct {
	char *repository; /* everything before tag/digest: "registry:5000/alice/web", "nginx" */
	char *tag;        /* NULL when absent */
	char *digest;     /* "sha256:…", NULL when absent */
} mech_image;

#define MECH_IMAGE_INIT                                                                            \
	{                                                                                          \
		NULL, NULL, NULL                                                                   \
	}

/**
 * Parse and validate `ref`. On success fills `out` (owned strings; release
 * with mech_image_dispose) and returns 0; `out` may be NULL to only
 * validate. On failure returns -1 with MECH_EINVALID and a message naming
 * the value and what is valid; `out` is left empty.
 */
int mech_image_parse(const char *ref, mech_image *out);

/** Free the strings of `img` and reset it; safe on an empty or disposed image. */
void mech_image_dispose(mech_image *img);

/**
 * Join parts back into a reference: repository[:tag][@digest]. `tag` and
 * `digest` may be NULL or "". Returns a new string (caller frees), or NULL
 * when `repository` is NULL or empty. Does not validate.
 */
char *mech_image_format(const char *repository, const char *tag, const char *digest);

#endif
