#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

/*
 * TLS through a tunnel: the client connects to 127.0.0.1:<tunnel port>, so
 * Connector/C 3.3's own host-name check (MYSQL_OPT_SSL_VERIFY_SERVER_CERT)
 * would compare the certificate with "127.0.0.1". Connector/C 3.3 has no
 * option for a different peer name, so provision lets Connector/C verify the
 * chain against the CA (it does whenever a CA is set) and checks the name
 * itself, right after the handshake, with the peer certificate of the
 * connection's OpenSSL session. Connector/C's internal structs are published in
 * its own headers (ma_pvio.h, ma_tls.h); Debian builds it with OpenSSL.
 */
#if !defined(_global_h) && !defined(MY_GLOBAL_INCLUDED)
typedef unsigned char uchar; /* ma_tls.h needs it before ma_pvio.h defines it (identical typedef) */
#endif
#ifndef HAVE_TLS
#define HAVE_TLS 1
#define PROVISION_DEFINED_HAVE_TLS 1
#endif
#include <ma_pvio.h>
#ifdef PROVISION_DEFINED_HAVE_TLS
#undef HAVE_TLS
#undef PROVISION_DEFINED_HAVE_TLS
#endif
#include <string.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* 1: TLS session whose peer certificate names `name` (DNS SAN, or IP SAN for an
   IP address literal); 0: certificate does not match; -1: no TLS session or no
   peer certificate. */
static inline int provision_mysql_tls_peer_matches(MYSQL *mysql, const char *name) {
    if (!mysql || !name || !mysql->net.pvio || !mysql->net.pvio->ctls || !mysql->net.pvio->ctls->ssl)
        return -1;
    SSL *ssl = (SSL *)mysql->net.pvio->ctls->ssl;
    X509 *cert = SSL_get1_peer_certificate(ssl);
    if (!cert)
        return -1;
    int ok;
    if (X509_check_ip_asc(cert, name, 0) == 1)
        ok = 1;
    else
        ok = X509_check_host(cert, name, strlen(name), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
    X509_free(cert);
    return ok;
}

/* X509 verification result of the TLS session (X509_V_OK = 0), or -1 without TLS. */
static inline long provision_mysql_tls_verify_result(MYSQL *mysql) {
    if (!mysql || !mysql->net.pvio || !mysql->net.pvio->ctls || !mysql->net.pvio->ctls->ssl)
        return -1;
    return SSL_get_verify_result((SSL *)mysql->net.pvio->ctls->ssl);
}

#include <openssl/evp.h>

/* SHA-1 of `len` bytes into `out` (20 bytes); 1 on success. For comparing a wanted
   password with a stored mysql_native_password hash without sending it anywhere. */
static inline int provision_sha1(const void *data, size_t len, unsigned char *out) {
    unsigned int outlen = 0;
    return EVP_Digest(data, len, out, &outlen, EVP_sha1(), NULL) == 1 && outlen == 20;
}
