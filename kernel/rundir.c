/*
 * The runtime directory that l3nft and l3nftd share: the control socket,
 * the registrations file and the apply lock. Tests run a daemon per scratch
 * network namespace, so the directory can be moved with $L3NFT_RUNDIR.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "l3nft/kernel/rundir.h"

const char *l3_rundir(void)
{
	const char *dir = getenv("L3NFT_RUNDIR");

	return dir && dir[0] == '/' ? dir : L3_RUNDIR;
}

const char *l3_runpath(char *buf, size_t len, const char *name)
{
	size_t n = (size_t)snprintf(buf, len, "%s/%s", l3_rundir(), name);

	return n < len ? buf : NULL;
}

/* Opens this network namespace's lock file and flocks it with @how. */
static int l3_rundir_flock(int how)
{
	char path[4096], name[64];
	struct stat st;
	int fd;

	/* tables live per network namespace, and so does the lock */
	if (stat("/proc/self/ns/net", &st) < 0)
		st.st_ino = 0;
	snprintf(name, sizeof(name), "apply-%llu.lock", (unsigned long long)st.st_ino);
	if (mkdir(l3_rundir(), 0755) < 0 && errno != EEXIST)
		return -1;
	if (!l3_runpath(path, sizeof(path), name)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (flock(fd, how) < 0) {
		if (errno != EINTR) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
	}
	return fd;
}

int l3_rundir_lock(void)
{
	return l3_rundir_flock(LOCK_EX);
}

int l3_rundir_lock_try(void)
{
	return l3_rundir_flock(LOCK_EX | LOCK_NB);
}
