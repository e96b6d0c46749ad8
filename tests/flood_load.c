/* flood_load.c — a SYN flood on 127.0.0.1 for the flood soak of `portnote
 * live`: every packet a new flow, as fast as the machine sends (or at a
 * given rate), and an exact account of what it sent.
 *
 *   usage: flood_load -d SECONDS [-r SYNS_PER_SECOND]
 *
 * Raw IPv4 (IP_HDRINCL) TCP SYNs from 127.0.0.1 to 127.0.0.1, sent in
 * batches with sendmmsg. Nothing listens, so the kernel answers each with
 * a RST: one flow per SYN, ended by its RST. Sources are not spoofed (a
 * spoofed-source flood is a generated file, never sent). No port pair
 * repeats within 4 billion SYNs: SYN i goes from source port 1024 + (i /
 * 65535) % 64000 to destination port 1 + (i * 40503) % 65535, which visits
 * every port in a scattered order.
 *
 * Run it only in a network namespace of its own: it floods loopback.
 *
 * At the end one JSON line on stdout: {"type":"flood_load","syns":N,
 * "elapsed":S,"rate":R,"send_errors":E}. Exit 0, 1 on a setup error, 2 on
 * bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define FRAME 40 /* IPv4 and TCP headers, no options, no payload */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint16_t checksum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* SYN number i as an IPv4 packet from and to 127.0.0.1. */
static void syn(uint8_t *f, uint64_t i)
{
	uint16_t sport = (uint16_t)(1024 + (i / 65535) % 64000);
	uint16_t dport = (uint16_t)(1 + (i * 40503) % 65535);
	memset(f, 0, FRAME);
	f[0] = 0x45;
	put16(f + 2, FRAME);
	put16(f + 4, (uint16_t)i);
	f[8] = 64;
	f[9] = IPPROTO_TCP;
	f[12] = f[16] = 127;
	f[15] = f[19] = 1;
	put16(f + 10, checksum(f, 20, 0));
	uint8_t *t = f + 20;
	put16(t, sport);
	put16(t + 2, dport);
	put16(t + 4, (uint16_t)(i >> 16));
	put16(t + 6, (uint16_t)i);
	t[12] = 5 << 4;
	t[13] = 0x02; /* SYN */
	put16(t + 14, 64240);
	/* The pseudo-header: addresses, protocol, TCP length. */
	uint32_t pseudo = 0x7f00 + 0x0001 + 0x7f00 + 0x0001 + IPPROTO_TCP + 20;
	put16(t + 16, checksum(t, 20, pseudo));
}

int main(int argc, char **argv)
{
	double seconds = 0, rate = 0;
	int opt;
	while ((opt = getopt(argc, argv, "d:r:")) != -1) {
		char *end;
		switch (opt) {
		case 'd':
			seconds = strtod(optarg, &end);
			if (*end || seconds <= 0)
				goto usage;
			break;
		case 'r':
			rate = strtod(optarg, &end);
			if (*end || rate < 0)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc || seconds <= 0)
		goto usage;

	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		fprintf(stderr, "flood_load: raw socket: %s (needs root)\n",
			strerror(errno));
		return 1;
	}
	int one = 1;
	if (setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof one) < 0) {
		fprintf(stderr, "flood_load: IP_HDRINCL: %s\n",
			strerror(errno));
		return 1;
	}
	struct sockaddr_in to = {.sin_family = AF_INET};
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	static uint8_t frames[BATCH][FRAME];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	for (int k = 0; k < BATCH; k++) {
		iov[k] = (struct iovec){frames[k], FRAME};
		msgs[k] = (struct mmsghdr){.msg_hdr = {.msg_name = &to,
						       .msg_namelen = sizeof to,
						       .msg_iov = &iov[k],
						       .msg_iovlen = 1}};
	}

	uint64_t sent = 0, errors = 0;
	double start = now(), t = start;
	while ((t = now()) - start < seconds) {
		int n = BATCH;
		if (rate > 0) {
			/* Never ahead of the rate: wait for the batch's time.
			 */
			double due = start + (double)(sent + BATCH) / rate;
			if (due > t) {
				double d = due - t;
				if (d > 0.001)
					d = 0.001;
				struct timespec ts = {0, (long)(d * 1e9)};
				nanosleep(&ts, NULL);
				continue;
			}
		}
		for (int k = 0; k < n; k++)
			syn(frames[k], sent + (uint64_t)k);
		int w = sendmmsg(fd, msgs, (unsigned)n, 0);
		if (w < 0) {
			/* ENOBUFS under pressure: nothing of the batch went. */
			if (errno != ENOBUFS && errno != EAGAIN &&
			    errno != EINTR) {
				fprintf(stderr, "flood_load: sendmmsg: %s\n",
					strerror(errno));
				return 1;
			}
			errors++;
			continue;
		}
		sent += (uint64_t)w;
	}
	double elapsed = t - start;
	printf("{\"type\":\"flood_load\",\"syns\":%llu,\"elapsed\":%.3f,"
	       "\"rate\":%.0f,\"send_errors\":%llu}\n",
	       (unsigned long long)sent, elapsed, (double)sent / elapsed,
	       (unsigned long long)errors);
	return 0;

usage:
	fprintf(stderr, "usage: flood_load -d SECONDS [-r SYNS_PER_SECOND]\n");
	return 2;
}
