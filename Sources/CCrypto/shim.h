/* OpenSSL's libcrypto (Debian's libssl-dev, already pulled in by libssh2-1-dev and linked
   by libssh2 and MariaDB Connector/C): digests and HMAC, instead of hand-written ones. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
