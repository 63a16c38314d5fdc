// SPDX-License-Identifier: Apache-2.0
// Hex, base64, bounded file reads and atomic writes.
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

const char *gw_clean_text(const char *s, char *out, size_t len)
{
	size_t n = 0;

	if (!len)
		return out;
	if (!s)
		s = "?";
	for (; *s && n + 1 < len; s++)
		out[n++] = (unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e ? '?' : *s;
	out[n] = '\0';
	return out;
}

void gw_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int hex_into(const char *hex, size_t n, uint8_t *out, gw_error *err)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hex_nibble(hex[2 * i]);
		int lo = hex_nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return gw_fail(err, GW_E_PARSE, "not a hex digit at position %zu",
				       2 * i + (hi < 0 ? 0 : 1));
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static const char *skip_0x(const char *hex)
{
	if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
		return hex + 2;
	return hex;
}

int gw_hex_decode(const char *hex, uint8_t **out, size_t *out_len, gw_error *err)
{
	uint8_t *buf = NULL;
	size_t len;
	int rc;

	hex = skip_0x(hex);
	len = strlen(hex);
	if (len % 2)
		return gw_fail(err, GW_E_PARSE, "hex string has an odd number of digits");
	buf = malloc(len / 2 + 1);
	if (!buf)
		return GW_E_NOMEM;
	rc = hex_into(hex, len / 2, buf, err);
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf; /* transferred */
	*out_len = len / 2;
	return 0;
}

int gw_hex_decode_fixed(const char *hex, uint8_t *out, size_t want, gw_error *err)
{
	hex = skip_0x(hex);
	if (strlen(hex) != 2 * want)
		return gw_fail(err, GW_E_PARSE, "expected %zu hex digits, got %zu", 2 * want,
			       strlen(hex));
	return hex_into(hex, want, out, err);
}

int gw_b64_encode(const uint8_t *in, size_t len, char **out)
{
	char *buf;

	if (len > INT_MAX / 2)
		return GW_E_TOOBIG;
	buf = malloc(4 * ((len + 2) / 3) + 1);
	if (!buf)
		return GW_E_NOMEM;
	EVP_EncodeBlock((unsigned char *)buf, in, (int)len);
	*out = buf; /* transferred */
	return 0;
}

/* Characters of the standard base64 alphabet ('=' is handled apart). */
static const bool b64_valid[256] = {
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
	['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
	['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
	['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1,
	['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1,
	['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['+'] = 1, ['/'] = 1,
};

int gw_b64_decode(const char *in, uint8_t **out, size_t *out_len, gw_error *err)
{
	size_t len = strlen(in);
	size_t pad = 0;
	uint8_t *buf;
	int n;

	if (len % 4 || len > INT_MAX / 2)
		return gw_fail(err, GW_E_PARSE, "base64 length %zu is not a multiple of 4", len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '=' && i >= len - 2) {
			pad++;
			continue;
		}
		if (!b64_valid[c] || pad)
			return gw_fail(err, GW_E_PARSE, "bad base64 character at %zu", i);
	}
	buf = malloc(len / 4 * 3 + 1);
	if (!buf)
		return GW_E_NOMEM;
	/* EVP_DecodeBlock counts padding as zero bytes; subtract it. */
	n = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)len);
	if (n < 0 || (size_t)n < pad) {
		free(buf);
		return gw_fail(err, GW_E_PARSE, "invalid base64");
	}
	*out = buf; /* transferred */
	*out_len = (size_t)n - pad;
	return 0;
}

int gw_read_file(const char *path, size_t cap, uint8_t **out, size_t *out_len, gw_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0, alloc = 0;
	int fd = -1;
	int rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = gw_fail(err, errno == ENOENT ? GW_E_NOTFOUND : GW_E_IO, "%s: %s", path,
			     strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (len == alloc) {
			size_t want = alloc ? alloc * 2 : 65536;
			uint8_t *nb;

			if (want > cap + 1)
				want = cap + 1;
			if (want <= len) {
				rc = gw_fail(err, GW_E_TOOBIG, "%s: larger than %zu bytes", path, cap);
				goto out;
			}
			nb = realloc(buf, want + 1);
			if (!nb) {
				rc = GW_E_NOMEM;
				goto out;
			}
			buf = nb;
			alloc = want;
		}
		n = read(fd, buf + len, alloc - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = gw_fail(err, GW_E_IO, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > cap) {
			rc = gw_fail(err, GW_E_TOOBIG, "%s: larger than %zu bytes", path, cap);
			goto out;
		}
	}
	if (!buf) {
		buf = malloc(1);
		if (!buf) {
			rc = GW_E_NOMEM;
			goto out;
		}
	}
	buf[len] = '\0';
	*out = buf; /* transferred */
	buf = NULL;
	*out_len = len;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync the directory dir: 0, or -1 with errno. */
static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc, e;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

static int fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (!slash) {
		dir[0] = '.';
		dir[1] = '\0';
	} else {
		size_t n = (size_t)(slash - path);

		if (n == 0)
			n = 1;
		if (n >= sizeof(dir))
			return -1;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	return fsync_dir(dir);
}

int gw_fsync_dir(const char *dir, gw_error *err)
{
	if (fsync_dir(dir))
		return gw_fail(err, GW_E_IO, "fsync %s: %s", dir, strerror(errno));
	return 0;
}

int gw_open_tmp(const char *path, unsigned mode, char *tmp, size_t tmp_size, int *fd,
		gw_error *err)
{
	int f = -1;

	/* A random name: a PID reused after a crash left its temporary file must
	 * not make every later write fail on O_EXCL. */
	for (int attempt = 0; f < 0 && attempt < 8; attempt++) {
		uint8_t rnd[8];
		char hex[2 * sizeof(rnd) + 1];

		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return gw_fail(err, GW_E_CRYPTO, "%s: no randomness for a temporary name",
				       path);
		gw_hex_encode(rnd, sizeof(rnd), hex);
		if (gw_snprintf(tmp, tmp_size, "%s" GW_TMP_INFIX "%s", path, hex))
			return gw_fail(err, GW_E_TOOBIG, "%s: path too long", path);
		f = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (f < 0 && errno != EEXIST)
			break;
	}
	if (f < 0)
		return gw_fail(err, GW_E_IO, "%s: %s", tmp, strerror(errno));
	*fd = f;
	return 0;
}

/* FAT (an ESP: the grubenv, systemd-boot's entries) keeps a file's start cluster
 * and size in its directory entry and writes that entry from the file's inode:
 * after a rename the entry under the new name is only in the renamed inode, which
 * the directory's fsync does not write. A power cut after two quick replacements
 * of the grubenv left it empty (t_vm_powercut). So on FAT the renamed file is
 * fsynced too; elsewhere the directory's fsync is what counts. fd -1: open path. */
static int fsync_renamed(int fd, const char *path)
{
	struct statfs fs;
	int f = fd, rc = 0;

	if (f < 0 && (f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	if (fstatfs(f, &fs) == 0 && fs.f_type == MSDOS_SUPER_MAGIC)
		rc = fsync(f);
	if (fd < 0)
		close(f);
	return rc;
}

int gw_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
			 gw_error *err)
{
	char tmp[PATH_MAX];
	bool renamed = false;
	int fd = -1;
	int rc = 0;

	rc = gw_open_tmp(path, mode, tmp, sizeof(tmp), &fd, err);
	if (rc)
		return rc;
	if (write_all(fd, data, len) || fsync(fd)) {
		rc = gw_fail(err, GW_E_IO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, path)) {
		rc = gw_fail(err, GW_E_IO, "rename to %s: %s", path, strerror(errno));
		goto out;
	}
	renamed = true;
	if (fsync_renamed(fd, path))
		rc = gw_fail(err, GW_E_IO, "fsync %s: %s", path, strerror(errno));
	else if (fsync_parent(path))
		rc = gw_fail(err, GW_E_IO, "fsync directory of %s: %s", path, strerror(errno));
out:
	close(fd);
	if (rc && !renamed)
		unlink(tmp);
	return rc;
}

int gw_rename_durable(const char *from, const char *to, gw_error *err)
{
	if (rename(from, to))
		return gw_fail(err, GW_E_IO, "rename %s to %s: %s", from, to, strerror(errno));
	if (fsync_renamed(-1, to))
		return gw_fail(err, GW_E_IO, "fsync %s: %s", to, strerror(errno));
	if (fsync_parent(to))
		return gw_fail(err, GW_E_IO, "fsync directory of %s: %s", to, strerror(errno));
	return 0;
}

int gw_link_durable(const char *tmp, const char *path, gw_error *err)
{
	/* Atomic no-replace: renameat2 where the file system has it, else a hard
	 * link (which never replaces either) and the temporary name removed. */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) != 0) {
		if (errno != EINVAL && errno != ENOSYS)
			return gw_fail(err, errno == EEXIST ? GW_E_EXISTS : GW_E_IO,
				       "%s: %s", path, strerror(errno));
		if (link(tmp, path) != 0)
			return gw_fail(err, errno == EEXIST ? GW_E_EXISTS : GW_E_IO,
				       "%s: %s", path, strerror(errno));
		if (unlink(tmp) != 0)
			return gw_fail(err, GW_E_IO, "%s: %s", tmp, strerror(errno));
	}
	if (fsync_renamed(-1, path))
		return gw_fail(err, GW_E_IO, "fsync %s: %s", path, strerror(errno));
	if (fsync_parent(path))
		return gw_fail(err, GW_E_IO, "fsync directory of %s: %s", path, strerror(errno));
	return 0;
}

int gw_append_durable(const char *path, const void *data, size_t len, unsigned mode,
		      gw_error *err)
{
	struct stat st;
	bool created;
	int fd;
	int rc = 0;

	created = lstat(path, &st) != 0;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return gw_fail(err, GW_E_IO, "%s: %s", path, strerror(errno));
	if (write_all(fd, data, len) || fdatasync(fd))
		rc = gw_fail(err, GW_E_IO, "%s: %s", path, strerror(errno));
	close(fd);
	if (!rc && created && fsync_parent(path))
		rc = gw_fail(err, GW_E_IO, "fsync directory of %s: %s", path, strerror(errno));
	return rc;
}

int gw_mkdir_p(const char *path, unsigned mode, gw_error *err)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return gw_fail(err, GW_E_INVAL, "bad directory path");
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return gw_fail(err, GW_E_IO, "mkdir %s: %s", buf, strerror(errno));
		buf[i] = i == len ? '\0' : '/';
	}
	return 0;
}

int gw_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return GW_E_TOOBIG;
	return 0;
}

int gw_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return GW_E_PARSE;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return GW_E_PARSE;
		if ((uint64_t)(*s - '0') > max || v > (max - (uint64_t)(*s - '0')) / 10)
			return GW_E_TOOBIG;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

int gw_parse_u64_until(const char **p, char end, uint64_t max, uint64_t *out)
{
	const char *s = *p, *e = s;
	char buf[24];
	int rc;

	while (*e && *e != end)
		e++;
	if (*e != end || e == s)
		return GW_E_PARSE;
	if ((size_t)(e - s) >= sizeof(buf)) /* more digits than any uint64_t has */
		return GW_E_TOOBIG;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	rc = gw_parse_u64(buf, max, out);
	if (rc == 0)
		*p = end ? e + 1 : e;
	return rc;
}

bool gw_ct_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

void gw_wipe(void *p, size_t len)
{
	if (p)
		OPENSSL_cleanse(p, len);
}

uint64_t gw_mono_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * GW_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* n decimal digits at s, nothing else. */
static int digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return GW_E_PARSE;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int gw_time_parse_utc(const char *s, int64_t *out)
{
	struct tm tm = { 0 }, back;
	int y, mo, d, h, mi, sec;
	time_t t;

	if (strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != 'Z')
		return GW_E_PARSE;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &sec))
		return GW_E_PARSE;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
		return GW_E_PARSE;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	/* timegm() normalises 2026-02-30 to March; a date that does not come back
	 * unchanged did not exist. */
	if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_mday != d || back.tm_mon != mo - 1)
		return GW_E_PARSE;
	*out = (int64_t)t;
	return 0;
}

void gw_time_format_utc(int64_t ts, char buf[GW_TIME_LEN])
{
	time_t t = (time_t)ts;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, GW_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, GW_TIME_LEN, "@%lld", (long long)ts);
}

bool gw_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		uint32_t cp, min;
		size_t n;

		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			n = 1;
			cp = *p & 0x1f;
			min = 0x80;
		} else if ((*p & 0xf0) == 0xe0) {
			n = 2;
			cp = *p & 0x0f;
			min = 0x800;
		} else if ((*p & 0xf8) == 0xf0) {
			n = 3;
			cp = *p & 0x07;
			min = 0x10000;
		} else {
			return false;
		}
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80) /* also stops at the NUL */
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

size_t gw_utf8_cut(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = n, need;

	/* Back over at most three continuation bytes to the sequence's first byte. */
	while (i > 0 && n - i < 3 && (p[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0 || p[i - 1] < 0xc0 || p[i - 1] > 0xf7)
		return n;
	need = p[i - 1] >= 0xf0 ? 4 : p[i - 1] >= 0xe0 ? 3 : 2;
	return n - (i - 1) < need ? i - 1 : n;
}

bool gw_name_ok(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

int gw_check_trusted_dir(const char *file, gw_error *err)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(file, '/');
	struct stat sb;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == file)
		snprintf(dir, sizeof(dir), "/");
	else if (gw_snprintf(dir, sizeof(dir), "%.*s", (int)(slash - file), file))
		return gw_fail(err, GW_E_INVAL, "%s: path too long", file);
	if (stat(dir, &sb))
		return gw_fail(err, GW_E_IO, "%s: %s", dir, strerror(errno));
	if ((sb.st_mode & (S_IWGRP | S_IWOTH)) && !(sb.st_mode & S_ISVTX))
		return gw_fail(err, GW_E_CONFIG,
			       "%s is in %s, which its group or others may write (mode %04o): "
			       "they could replace it; keep keys and trust anchors in a directory "
			       "only their owner writes (chmod g-w,o-w %s)",
			       file, dir, (unsigned)(sb.st_mode & 07777), dir);
	return 0;
}
