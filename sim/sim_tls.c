/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `mech sim --tls`: a CA of the sim's own and a server certificate it
 * signs for localhost, 127.0.0.1 and ::1, made with mbedTLS (linked for
 * libgit2 already) and kept in MECH_HOME/sim/: ca.crt for the clients
 * (kubectl --certificate-authority, mech's argocd.ca_file and
 * kubernetes.ca_file), the keys 0600. A later start reuses them, so a
 * client trusts the sim across restarts. Client-go sends a bearer token
 * only over TLS: this is what lets real clients authenticate to the sim.
 */
#include "sim_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "mech/error.h"

#define PEM_MAX 8192

static int rng(void *unused, unsigned char *out, size_t n)
{
	(void)unused;
	sim_random(out, n);
	return 0;
}

static int gen_key(mbedtls_pk_context *k)
{
	mbedtls_pk_init(k);
	if (mbedtls_pk_setup(k, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) ||
	    mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*k), rng, NULL))
		return -1;
	return 0;
}

/* subjectAltName: DNS localhost, IP 127.0.0.1, IP ::1 (DER, RFC 5280 4.2.1.6). */
static const unsigned char san_der[] = {
	0x30, 0x23,                                              /* SEQUENCE */
	0x82, 0x09, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', /* dNSName */
	0x87, 0x04, 127, 0,   0,   1,                            /* iPAddress v4 */
	0x87, 0x10, 0,   0,   0,   0,   0,   0,   0,   0,   0,   /* iPAddress v6 */
	0,    0,    0,   0,   0,   0,   1,
};

/* One certificate: a CA (issuer == subject) or a server certificate it signs. */
static int make_cert(mbedtls_pk_context *subject, mbedtls_pk_context *issuer, int ca,
		     unsigned char *pem, size_t size)
{
	mbedtls_x509write_cert crt;
	mbedtls_mpi serial;
	unsigned char sn[16];
	char from[16], until[16];
	time_t now = time(NULL);
	struct tm tm;
	int rc = -1;

	mbedtls_x509write_crt_init(&crt);
	mbedtls_mpi_init(&serial);
	sim_random(sn, sizeof(sn));
	sn[0] &= 0x7f; /* a positive serial */
	now -= 3600;   /* a client's clock a little behind still accepts it */
	gmtime_r(&now, &tm);
	strftime(from, sizeof(from), "%Y%m%d%H%M%S", &tm);
	tm.tm_year += 10;
	strftime(until, sizeof(until), "%Y%m%d%H%M%S", &tm);
	mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&crt, subject);
	mbedtls_x509write_crt_set_issuer_key(&crt, issuer);
	if (mbedtls_mpi_read_binary(&serial, sn, sizeof(sn)) ||
	    mbedtls_x509write_crt_set_serial(&crt, &serial) ||
	    mbedtls_x509write_crt_set_validity(&crt, from, until) ||
	    mbedtls_x509write_crt_set_issuer_name(&crt, "CN=mech sim CA,O=mech") ||
	    mbedtls_x509write_crt_set_subject_name(&crt, ca ? "CN=mech sim CA,O=mech"
							    : "CN=localhost,O=mech sim") ||
	    mbedtls_x509write_crt_set_basic_constraints(&crt, ca, ca ? 0 : -1) ||
	    mbedtls_x509write_crt_set_subject_key_identifier(&crt) ||
	    mbedtls_x509write_crt_set_authority_key_identifier(&crt) ||
	    mbedtls_x509write_crt_set_key_usage(&crt,
						ca ? MBEDTLS_X509_KU_KEY_CERT_SIGN |
								MBEDTLS_X509_KU_CRL_SIGN |
								MBEDTLS_X509_KU_DIGITAL_SIGNATURE
						   : MBEDTLS_X509_KU_DIGITAL_SIGNATURE |
								MBEDTLS_X509_KU_KEY_ENCIPHERMENT))
		goto done;
	if (!ca &&
	    mbedtls_x509write_crt_set_extension(&crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
						MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0,
						san_der, sizeof(san_der)))
		goto done;
	if (mbedtls_x509write_crt_pem(&crt, pem, size, rng, NULL))
		goto done;
	rc = 0;
done:
	mbedtls_mpi_free(&serial);
	mbedtls_x509write_crt_free(&crt);
	return rc;
}

static int write_file(const char *dir, const char *name, const unsigned char *data, int mode)
{
	char *path = mech_sprintf("%s/%s", dir, name);
	int rc = mech_file_write_atomic(path, data, strlen((const char *)data), mode);
	free(path);
	return rc;
}

static int read_file(const char *dir, const char *name, char **out, int secret)
{
	char *path = mech_sprintf("%s/%s", dir, name);
	mech_buf b = MECH_BUF_INIT;
	int rc;
	b.secret = secret;
	b.max = 64 * 1024;
	rc = mech_buf_read_file(&b, path, 64 * 1024);
	free(path);
	if (rc < 0) {
		mech_buf_dispose(&b);
		return -1;
	}
	*out = mech_buf_detach(&b);
	return 0;
}

/* A fresh CA and server certificate in dir. */
static int generate(const char *dir)
{
	mbedtls_pk_context ca, srv;
	unsigned char *pem = mech_calloc(PEM_MAX, 1);
	int rc = -1, io = 0;

	if (gen_key(&ca) < 0 || gen_key(&srv) < 0)
		goto done;
	if (mbedtls_pk_write_key_pem(&ca, pem, PEM_MAX) ||
	    (io = write_file(dir, "ca.key", pem, 0600) < 0))
		goto done;
	explicit_bzero(pem, PEM_MAX);
	if (mbedtls_pk_write_key_pem(&srv, pem, PEM_MAX) ||
	    (io = write_file(dir, "tls.key", pem, 0600) < 0))
		goto done;
	explicit_bzero(pem, PEM_MAX);
	if (make_cert(&srv, &ca, 0, pem, PEM_MAX) ||
	    (io = write_file(dir, "tls.crt", pem, 0644) < 0))
		goto done;
	/* the CA last: its presence says the set is complete */
	if (make_cert(&ca, &ca, 1, pem, PEM_MAX) || (io = write_file(dir, "ca.crt", pem, 0644) < 0))
		goto done;
	rc = 0;
done:
	explicit_bzero(pem, PEM_MAX);
	free(pem);
	mbedtls_pk_free(&ca);
	mbedtls_pk_free(&srv);
	if (rc < 0 && !io)
		mech_error_set(MECH_EFAILED, "mech sim --tls: cannot make a certificate in %s", dir);
	return rc;
}

int sim_tls_load(const char *home, char **cert, char **key, char **ca_path)
{
	char *dir = mech_sprintf("%s/sim", home);
	struct stat st;
	int rc = -1;

	*cert = *key = *ca_path = NULL;
	if (mech_mkdir_p(dir, 0700) < 0)
		goto done;
	*ca_path = mech_sprintf("%s/ca.crt", dir);
	if (stat(*ca_path, &st) < 0 && generate(dir) < 0)
		goto done;
	if (read_file(dir, "tls.crt", cert, 0) < 0 || read_file(dir, "tls.key", key, 1) < 0) {
		mech_error_set(MECH_ECONFIG,
			       "mech sim --tls: %s/tls.crt or tls.key is unreadable; remove %s to "
			       "make new ones",
			       dir, *ca_path);
		goto done;
	}
	rc = 0;
done:
	if (rc < 0) {
		free(*cert);
		if (*key)
			mech_secret_free(*key);
		free(*ca_path);
		*cert = *key = *ca_path = NULL;
	}
	free(dir);
	return rc;
}
