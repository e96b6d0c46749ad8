/* outfile.c — output files put in place only once complete. */
#include "portnote/outfile.h"

#include "portnote/output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void forget(struct pn_outfile *o)
{
	free(o->path);
	free(o->temp);
	*o = (struct pn_outfile){0};
}

bool pn_outfile_open(struct pn_outfile *o, const char *path, char err[256])
{
	*o = (struct pn_outfile){0};
	struct stat st;
	bool exists = stat(path, &st) == 0;
	if (!(o->path = strdup(path))) {
		snprintf(err, 256, "out of memory");
		return false;
	}
	if (exists && !S_ISREG(st.st_mode)) {
		if (!(o->f = fopen(path, "w"))) {
			snprintf(err, 256, "%s: cannot create: %s", path,
				 strerror(errno));
			forget(o);
		}
		return o->f != NULL;
	}
	mode_t mode;
	if (exists) {
		mode = st.st_mode & 07777;
	} else {
		mode_t mask = umask(0);
		umask(mask);
		mode = 0666 & ~mask;
	}
	size_t len = strlen(path);
	if (!(o->temp = malloc(len + sizeof ".XXXXXX"))) {
		snprintf(err, 256, "out of memory");
		forget(o);
		return false;
	}
	memcpy(o->temp, path, len);
	memcpy(o->temp + len, ".XXXXXX", sizeof ".XXXXXX");
	int fd = mkstemp(o->temp);
	if (fd < 0) {
		snprintf(err, 256, "%s: cannot create: %s", path,
			 strerror(errno));
		forget(o);
		return false;
	}
	if (fchmod(fd, mode) != 0 || !(o->f = fdopen(fd, "w"))) {
		snprintf(err, 256, "%s: cannot create: %s", path,
			 strerror(errno));
		close(fd);
		unlink(o->temp);
		forget(o);
		return false;
	}
	return true;
}

int pn_outfile_commit(struct pn_outfile *o, char err[256])
{
	/* A write that failed earlier is named if output.c saw its cause. */
	int e = pn_out_error(o->f), cause = e > 0 ? e : e ? EIO : 0;
	/* The data is on disk before the name points at it. */
	if (!cause && o->temp && fsync(fileno(o->f)) != 0)
		cause = errno;
	if (fclose(o->f) != 0 && !cause)
		cause = errno;
	o->f = NULL;
	int rc = 0;
	if (cause) {
		snprintf(err, 256, "write error: %s", strerror(cause));
		rc = -1;
	} else if (o->temp && rename(o->temp, o->path) != 0) {
		snprintf(err, 256, "cannot rename %s to %s: %s", o->temp,
			 o->path, strerror(errno));
		rc = -1;
	}
	if (rc && o->temp)
		unlink(o->temp);
	forget(o);
	return rc;
}

void pn_outfile_discard(struct pn_outfile *o)
{
	if (o->f)
		fclose(o->f);
	if (o->temp)
		unlink(o->temp);
	forget(o);
}

const char *pn_outfile_input(const char *path, const char *const *inputs, int n)
{
	struct stat ws;
	if (strcmp(path, "-") == 0 || stat(path, &ws) != 0)
		return NULL;
	for (int i = 0; i < n; i++) {
		struct stat is;
		int rc = strcmp(inputs[i], "-") == 0 ? fstat(0, &is)
						     : stat(inputs[i], &is);
		if (rc == 0 && is.st_dev == ws.st_dev && is.st_ino == ws.st_ino)
			return inputs[i];
	}
	return NULL;
}
