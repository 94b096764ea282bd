/* base.h - small things every module uses: error text, hex, sizes. */
#ifndef JN_BASE_H
#define JN_BASE_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define JN_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define jn_likely(x)   __builtin_expect(!!(x), 1)
#define jn_unlikely(x) __builtin_expect(!!(x), 0)

/* Format a one-line message into err (may be NULL) and return -errnum. */
int jn_errf(char *err, size_t errlen, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Parse "de ad be ef" / "deadbeef" into bytes. Returns count or -EINVAL. */
long jn_hex_parse(const char *s, uint8_t *out, size_t cap);

/* Read a whole file into a malloc'd buffer (NUL-terminated). 0 or -errno. */
int jn_read_file(const char *path, uint8_t **buf, size_t *len);

/* Overflow-checked size arithmetic: 0 on success, -EOVERFLOW otherwise. */
static inline int jn_size_mul(size_t a, size_t b, size_t *out)
{
	return __builtin_mul_overflow(a, b, out) ? -EOVERFLOW : 0;
}
static inline int jn_size_add(size_t a, size_t b, size_t *out)
{
	return __builtin_add_overflow(a, b, out) ? -EOVERFLOW : 0;
}

#endif
