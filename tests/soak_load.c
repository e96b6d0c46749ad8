/* soak_load.c — a mixed flow workload on 127.0.0.1 for the soak test of
 * `portnote live`, as fast as the machine allows, and an exact account of
 * what it sent.
 *
 *   usage: soak_load [-d SECONDS | -n DATAGRAMS] [-s SOCKETS] [-b PORT]
 *
 * UDP: SOCKETS sockets (default 64) bound to 127.0.0.1:PORT.. (default
 * 61000, Dynamic and unregistered, outside Linux's default ephemeral range
 * so no client socket takes them) send round-robin to every destination
 * port below; each socket sends to every port once per round, so every
 * source/destination pair keeps sending with no gap longer than two rounds
 * (the longest round is reported) and each pair is exactly one flow. The
 * receivers are bound (no ICMP port unreachable) but never read or answer:
 * every UDP packet goes client to server.
 *
 * TCP: one client connects to the listeners below in turn, sends 1 to 8 KB
 * and closes (its FIN first); one thread per listener accepts and reads to
 * the end, then closes.
 *
 * At the end one JSON line on stdout: datagrams and bytes sent, UDP flows
 * (distinct source/destination port pairs that sent), TCP connections
 * completed, and the same per destination port. Exit 0, 1 on a setup
 * error, 2 on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Registered (domain, ntp, https, mdns), unassigned user ports (4386,
 * 34000) and Dynamic ones (50000, 60123: with a Dynamic source port
 * neither side can be told to be the server). */
static const uint16_t udp_ports[] = {53,   123,	  443,	 5353,
				     4386, 34000, 50000, 60123};
/* Registered (http, https, http-alt) and unassigned (4386). */
static const uint16_t tcp_ports[] = {80, 443, 8080, 4386};
#define N_UDP_PORTS (sizeof udp_ports / sizeof udp_ports[0])
#define N_TCP_PORTS (sizeof tcp_ports / sizeof tcp_ports[0])
#define MAX_SOCKETS 1024
#define TCP_MAX_BYTES 8192

static atomic_bool stop;

static double monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int bound_socket(int type, uint16_t port)
{
	int fd = socket(AF_INET, type, 0);
	if (fd < 0) {
		perror("soak_load: socket");
		return -1;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = loopback(port);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		fprintf(stderr, "soak_load: bind 127.0.0.1:%u/%s: %s\n",
			(unsigned)port, type == SOCK_DGRAM ? "udp" : "tcp",
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct udp_sender {
	int fds[MAX_SOCKETS];
	unsigned n_sockets;
	uint64_t limit;	 /* datagrams; 0: until stop */
	double deadline; /* monotonic; 0: none */
	/* Results, read after the thread is joined. */
	uint64_t sent[MAX_SOCKETS][N_UDP_PORTS];
	uint64_t datagrams, bytes, errors;
	double max_round; /* seconds between the starts of two rounds */
};

static void *udp_send(void *arg)
{
	struct udp_sender *u = arg;
	struct sockaddr_in dst[N_UDP_PORTS];
	for (size_t d = 0; d < N_UDP_PORTS; d++)
		dst[d] = loopback(udp_ports[d]);
	static char payload[256];
	memset(payload, 'u', sizeof payload);
	double last = monotonic();
	while (!atomic_load(&stop)) {
		double now = monotonic();
		if (now - last > u->max_round)
			u->max_round = now - last;
		last = now;
		if (u->deadline > 0 && now >= u->deadline)
			break;
		for (unsigned s = 0; s < u->n_sockets; s++) {
			for (size_t d = 0; d < N_UDP_PORTS; d++) {
				if (u->limit && u->datagrams >= u->limit)
					goto done;
				/* 16 to 215 bytes, so sizes vary. */
				size_t len = 16 + (size_t)(u->datagrams % 200);
				ssize_t n = sendto(u->fds[s], payload, len, 0,
						   (struct sockaddr *)&dst[d],
						   sizeof dst[d]);
				if (n < 0) {
					u->errors++;
					continue;
				}
				u->sent[s][d]++;
				u->datagrams++;
				u->bytes += (uint64_t)n;
			}
		}
	}
done:
	atomic_store(&stop, true);
	return NULL;
}

struct tcp_listener {
	int fd;
	uint16_t port;
	atomic_uint_fast64_t accepted; /* read to the end and closed */
	atomic_uint_fast64_t bytes;
	uint64_t errors;
	atomic_bool quit;
};

static void *tcp_serve(void *arg)
{
	struct tcp_listener *l = arg;
	static _Thread_local char buf[65536];
	while (!atomic_load(&l->quit)) {
		struct pollfd p = {.fd = l->fd, .events = POLLIN};
		int rc = poll(&p, 1, 100);
		if (rc <= 0)
			continue;
		int c = accept(l->fd, NULL, NULL);
		if (c < 0) {
			if (errno != EINTR && errno != EAGAIN &&
			    errno != ECONNABORTED)
				l->errors++;
			continue;
		}
		/* A client that stalls must not stall the run. */
		struct timeval tv = {.tv_sec = 5};
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		uint64_t got = 0;
		for (;;) {
			ssize_t n = read(c, buf, sizeof buf);
			if (n > 0) {
				got += (uint64_t)n;
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				l->errors++;
			break;
		}
		close(c);
		atomic_fetch_add(&l->bytes, got);
		atomic_fetch_add(&l->accepted, 1);
	}
	return NULL;
}

struct tcp_client {
	uint64_t completed[N_TCP_PORTS];
	uint64_t failed;  /* after a SYN may have gone out: a flow */
	uint64_t no_port; /* EADDRNOTAVAIL: retried, nothing sent */
	uint64_t bytes;
};

/* One connection: connect, send len bytes, close. 1 if completed, 0 if it
 * failed after the connect attempt, -1 if no SYN was sent. */
static int tcp_once(uint16_t port, const char *data, size_t len,
		    struct tcp_client *c)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = loopback(port);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		int e = errno;
		close(fd);
		if (e == EADDRNOTAVAIL) {
			c->no_port++;
			return -1;
		}
		return 0;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return 0;
		}
		off += (size_t)n;
	}
	if (close(fd) != 0)
		return 0;
	c->bytes += len;
	return 1;
}

static void *tcp_connect_loop(void *arg)
{
	struct tcp_client *c = arg;
	static char data[TCP_MAX_BYTES];
	memset(data, 't', sizeof data);
	uint64_t i = 0;
	while (!atomic_load(&stop)) {
		size_t p = (size_t)(i % N_TCP_PORTS);
		size_t len =
		    1024 + (size_t)((i * 1543) % (TCP_MAX_BYTES - 1023));
		int rc = tcp_once(tcp_ports[p], data, len, c);
		if (rc < 0) {
			/* Ports in TIME_WAIT: they free up within a second. */
			struct timespec ts = {0, 1000000};
			nanosleep(&ts, NULL);
			continue;
		}
		if (rc > 0)
			c->completed[p]++;
		else
			c->failed++;
		i++;
	}
	return NULL;
}

static bool number(const char *s, double min, double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max))
		return false;
	*out = v;
	return true;
}

static int usage(void)
{
	fputs("usage: soak_load [-d SECONDS | -n DATAGRAMS] [-s SOCKETS] "
	      "[-b PORT]\n",
	      stderr);
	return 2;
}

static struct udp_sender udp;
static struct tcp_listener listeners[N_TCP_PORTS];
static struct tcp_client client;

int main(int argc, char **argv)
{
	double seconds = 0, count = 0, sockets = 64, base = 61000;
	int opt;
	while ((opt = getopt(argc, argv, "d:n:s:b:")) != -1) {
		switch (opt) {
		case 'd':
			if (!number(optarg, 0.1, 1e7, &seconds))
				return usage();
			break;
		case 'n':
			if (!number(optarg, 1, 1e15, &count))
				return usage();
			break;
		case 's':
			if (!number(optarg, 1, MAX_SOCKETS, &sockets))
				return usage();
			break;
		case 'b':
			if (!number(optarg, 1024, 65535, &base))
				return usage();
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || (seconds > 0) == (count > 0) ||
	    base + sockets - 1 > 65535)
		return usage();

	/* Receivers first: a datagram to an unbound port would draw an ICMP
	 * port unreachable, which is traffic the account does not hold. */
	int receivers[N_UDP_PORTS];
	for (size_t d = 0; d < N_UDP_PORTS; d++) {
		receivers[d] = bound_socket(SOCK_DGRAM, udp_ports[d]);
		if (receivers[d] < 0)
			return 1;
		/* Never read: a small buffer keeps the kernel's copies few. */
		int small = 4096;
		setsockopt(receivers[d], SOL_SOCKET, SO_RCVBUF, &small,
			   sizeof small);
	}
	udp.n_sockets = (unsigned)sockets;
	for (unsigned s = 0; s < udp.n_sockets; s++) {
		udp.fds[s] = bound_socket(SOCK_DGRAM, (uint16_t)(base + s));
		if (udp.fds[s] < 0)
			return 1;
	}
	for (size_t p = 0; p < N_TCP_PORTS; p++) {
		listeners[p].port = tcp_ports[p];
		listeners[p].fd = bound_socket(SOCK_STREAM, tcp_ports[p]);
		if (listeners[p].fd < 0 || listen(listeners[p].fd, 4096) != 0) {
			perror("soak_load: listen");
			return 1;
		}
	}

	pthread_t server[N_TCP_PORTS], sender, connector;
	for (size_t p = 0; p < N_TCP_PORTS; p++)
		if (pthread_create(&server[p], NULL, tcp_serve,
				   &listeners[p]) != 0) {
			fputs("soak_load: cannot start a thread\n", stderr);
			return 1;
		}
	double start = monotonic();
	udp.limit = (uint64_t)count;
	udp.deadline = seconds > 0 ? start + seconds : 0;
	if (pthread_create(&sender, NULL, udp_send, &udp) != 0 ||
	    pthread_create(&connector, NULL, tcp_connect_loop, &client) != 0) {
		fputs("soak_load: cannot start a thread\n", stderr);
		return 1;
	}
	pthread_join(sender, NULL);
	pthread_join(connector, NULL);
	double elapsed = monotonic() - start;

	/* Every completed connection is in a listener's queue or being read:
	 * wait (bounded) until all are read, so the counts agree. */
	uint64_t completed = 0, accepted = 0;
	for (size_t p = 0; p < N_TCP_PORTS; p++)
		completed += client.completed[p];
	for (double until = monotonic() + 10; monotonic() < until;) {
		accepted = 0;
		for (size_t p = 0; p < N_TCP_PORTS; p++)
			accepted += atomic_load(&listeners[p].accepted);
		if (accepted >= completed)
			break;
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	uint64_t server_errors = 0, server_bytes = 0;
	accepted = 0;
	for (size_t p = 0; p < N_TCP_PORTS; p++) {
		atomic_store(&listeners[p].quit, true);
		pthread_join(server[p], NULL);
		close(listeners[p].fd);
		accepted += atomic_load(&listeners[p].accepted);
		server_bytes += atomic_load(&listeners[p].bytes);
		server_errors += listeners[p].errors;
	}
	for (unsigned s = 0; s < udp.n_sockets; s++)
		close(udp.fds[s]);
	for (size_t d = 0; d < N_UDP_PORTS; d++)
		close(receivers[d]);

	uint64_t flows = 0;
	for (unsigned s = 0; s < udp.n_sockets; s++)
		for (size_t d = 0; d < N_UDP_PORTS; d++)
			flows += udp.sent[s][d] > 0;
	printf("{\"type\":\"soak_load\",\"elapsed\":%.3f,"
	       "\"udp_datagrams\":%" PRIu64 ",\"udp_bytes\":%" PRIu64
	       ",\"udp_flows\":%" PRIu64 ",\"udp_send_errors\":%" PRIu64
	       ",\"udp_sockets\":%u,\"udp_max_round_ms\":%.1f,"
	       "\"tcp_connections\":%" PRIu64 ",\"tcp_failed\":%" PRIu64
	       ",\"tcp_port_retries\":%" PRIu64 ",\"tcp_bytes\":%" PRIu64
	       ",\"tcp_accepted\":%" PRIu64 ",\"tcp_server_bytes\":%" PRIu64
	       ",\"tcp_server_errors\":%" PRIu64 ",\"udp_ports\":[",
	       elapsed, udp.datagrams, udp.bytes, flows, udp.errors,
	       udp.n_sockets, udp.max_round * 1000, completed, client.failed,
	       client.no_port, client.bytes, accepted, server_bytes,
	       server_errors);
	for (size_t d = 0; d < N_UDP_PORTS; d++) {
		uint64_t n = 0, pairs = 0;
		for (unsigned s = 0; s < udp.n_sockets; s++) {
			n += udp.sent[s][d];
			pairs += udp.sent[s][d] > 0;
		}
		printf("%s{\"port\":%u,\"datagrams\":%" PRIu64
		       ",\"flows\":%" PRIu64 "}",
		       d ? "," : "", (unsigned)udp_ports[d], n, pairs);
	}
	fputs("],\"tcp_ports\":[", stdout);
	for (size_t p = 0; p < N_TCP_PORTS; p++)
		printf("%s{\"port\":%u,\"connections\":%" PRIu64
		       ",\"accepted\":%" PRIu64 "}",
		       p ? "," : "", (unsigned)tcp_ports[p],
		       client.completed[p],
		       (uint64_t)atomic_load(&listeners[p].accepted));
	fputs("]}\n", stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}
