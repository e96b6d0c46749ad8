/* outfile.h — an output file put in place only once it is complete.
 *
 * A regular file, or a name that does not exist yet, is written as a
 * temporary file beside it, "PATH.XXXXXX", with the mode the file would
 * have had (the replaced file's own, or 0666 less the umask, as fopen
 * makes it), and renamed to PATH by pn_outfile_commit once every write,
 * the flush, fsync and close succeeded: until then, and on any failure, a
 * previous PATH stays as it was. Anything else that exists at PATH (a
 * device, a FIFO) is written directly, since renaming over it would
 * replace it. The same rules as `packets -w` (src/pcapng.c). */
#ifndef PORTNOTE_OUTFILE_H
#define PORTNOTE_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

struct pn_outfile {
	FILE *f;
	char *path; /* the file asked for */
	char *temp; /* written instead; NULL when path is written directly */
};

/* Opens o->f for `path`: true, or false with "PATH: cannot create: why"
 * in err. */
bool pn_outfile_open(struct pn_outfile *o, const char *path, char err[256]);

/* Flushes, syncs and closes, then renames the temporary file to the path:
 * 0, or -1 with the reason in err after removing the temporary file. */
int pn_outfile_commit(struct pn_outfile *o, char err[256]);

/* Closes and removes the temporary file: the path is left as it was. */
void pn_outfile_discard(struct pn_outfile *o);

/* Whether `path` names one of the n inputs (the same file under any name,
 * by device and inode; "-" as an input is standard input): the input it
 * is, or NULL. A path that does not exist is no input. */
const char *pn_outfile_input(const char *path, const char *const *inputs,
			     int n);

#endif
