/*
 * ftlatency: a latency probe on the FastTotem C API alone (fasttotem.h + libfasttotem.so).
 *
 * Two processes, each a ring member, join one CPG group. The "ping" side sends numbered, timestamped messages at a
 * fixed rate; the "echo" side answers each ping (ping-pong) or only records it (one-way). Deliveries are read in
 * place with ft_group_take / ft_group_release (no copy). Latencies use CLOCK_MONOTONIC, which every network
 * namespace of one host shares, so one-way times across namespaces are meaningful on one machine.
 *
 *   ftlatency -c CONFIG -R ping [-m pingpong|oneway] [-r RATE] [-t SECONDS] [-w WARMUP] [-s SIZE] [-b] [-p CPU]
 *   ftlatency -c CONFIG -R echo [-t SECONDS] [-b] [-p CPU]
 *
 * ping-pong: the ping side records round-trip times. one-way: the echo side records ping-to-delivery times.
 * The side that recorded prints one JSON line at the end:
 *   {"tool":"ftlatency","mode":"pingpong","rate":1000,"size":64,"busy_poll":1,"pin_cpu":1,"samples":N,
 *    "sent":S,"received":R,"lost":L,"p50_us":..,"p99_us":..,"p999_us":..,"max_us":..,"mean_us":..,
 *    "loop_tid":T,"loop_cpu":C,"loop_pinned":1,"loop_migrations":M,"host_cpu":H,"stalls":X,"overruns":Y}
 * The other side prints {"tool":"ftlatency","role":...,"sent":..,"received":..}. Exit: 0 ok, 1 failure, 2 usage.
 */
#define _GNU_SOURCE
#include "fasttotem.h"
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LAT_MAGIC 0x504c5446u /* "FTLP" */
#define KIND_PING 1u
#define KIND_PONG 2u
#define FLAG_ECHO 1u

struct lat_header {
	uint32_t magic;
	uint32_t kind;
	uint32_t flags;
	uint32_t nodeid;  /* the pinger */
	uint64_t seq;
	uint64_t sent_ns; /* CLOCK_MONOTONIC at the pinger */
} __attribute__((packed));

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double pct_us(const uint64_t *sorted, size_t n, double p)
{
	if (n == 0) {
		return 0;
	}
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return (double)sorted[i] / 1000.0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ftlatency -c CONFIG -R ping|echo [-m pingpong|oneway] [-g GROUP] [-r RATE] [-t SECONDS] [-w WARMUP]\n"
		"                 [-s SIZE] [-n NODEID] [-b] [-p CPU] [-P HOSTCPU] [-S SLAB_BYTES]\n"
		"  -R ROLE    ping (sends at RATE) or echo (answers pings)\n"
		"  -m MODE    pingpong (round trips, measured by ping) or oneway (measured by echo); default pingpong\n"
		"  -r RATE    pings per second (default 1000)\n"
		"  -t SECONDS measured run after warm-up (default 10); echo runs until the pinger leaves or -t+30 s\n"
		"  -w WARMUP  seconds of pings before measuring (default 1)\n"
		"  -s SIZE    bytes per message, at least %zu (default 64)\n"
		"  -b         busy-poll: the protocol loop spins instead of sleeping in epoll\n"
		"  -p CPU     pin the protocol loop thread to CPU\n"
		"  -P CPU     pin this (host) thread to CPU\n",
		sizeof(struct lat_header));
}

static int send_retry(ft_group group, const void *data, size_t length)
{
	for (;;) {
		int rc = ft_group_try_mcast(group, data, length);
		if (rc != FT_ERR_TRY_AGAIN) {
			return rc;
		}
		sched_yield();
	}
}

int main(int argc, char **argv)
{
	const char *config_path = NULL, *role = NULL, *mode = "pingpong", *group_name = "ftlatency";
	double rate = 1000, seconds = 10, warmup = 1;
	size_t size = 64;
	uint32_t nodeid = 0;
	int busy = 0, pin = -1, host_pin = -1;
	unsigned long slab = 0;
	int opt;
	while ((opt = getopt(argc, argv, "c:R:m:g:r:t:w:s:n:bp:P:S:h")) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'R': role = optarg; break;
		case 'm': mode = optarg; break;
		case 'g': group_name = optarg; break;
		case 'r': rate = strtod(optarg, NULL); break;
		case 't': seconds = strtod(optarg, NULL); break;
		case 'w': warmup = strtod(optarg, NULL); break;
		case 's': size = strtoul(optarg, NULL, 10); break;
		case 'n': nodeid = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'b': busy = 1; break;
		case 'p': pin = atoi(optarg); break;
		case 'P': host_pin = atoi(optarg); break;
		case 'S': slab = strtoul(optarg, NULL, 10); break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	int is_ping = role != NULL && strcmp(role, "ping") == 0;
	int is_echo = role != NULL && strcmp(role, "echo") == 0;
	int oneway = strcmp(mode, "oneway") == 0;
	if (config_path == NULL || (!is_ping && !is_echo) || (!oneway && strcmp(mode, "pingpong") != 0)
		|| rate <= 0 || seconds <= 0 || warmup < 0 || size < sizeof(struct lat_header) || size > 65536) {
		usage();
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (host_pin >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(host_pin, &set);
		if (sched_setaffinity(0, sizeof set, &set) != 0) {
			fprintf(stderr, "ftlatency: cannot pin the host thread to CPU %d: %s\n", host_pin, strerror(errno));
			return 1;
		}
	}

	char detail[512];
	ft_node_config cfg = FT_NODE_CONFIG_INIT;
	cfg.nodeid = nodeid;
	cfg.pin_cpu = pin;
	cfg.flags = busy ? FT_NODE_BUSY_POLL : 0;
	cfg.delivery_bytes = (uint32_t)slab;
	ft_node node;
	int rc = ft_node_create_ex(config_path, &cfg, &node);
	if (rc != FT_OK) {
		ft_last_error(detail, sizeof detail);
		fprintf(stderr, "ftlatency: %s: %s\n", ft_strerror(rc), detail);
		return 1;
	}
	uint32_t self = 0;
	ft_node_start(node);
	ft_node_id(node, &self);
	ft_group group;
	rc = ft_group_join(node, group_name, 0, &group);
	if (rc != FT_OK) {
		ft_last_error(detail, sizeof detail);
		fprintf(stderr, "ftlatency: join: %s: %s\n", ft_strerror(rc), detail);
		ft_node_destroy(node);
		return 1;
	}
	printf("ready nodeid=%u role=%s group=%s\n", self, role, group_name);
	fflush(stdout);

	/* Both members must be in the group before the first ping. */
	uint32_t ids[8], pids[8];
	uint64_t deadline = now_ns() + 60ull * 1000000000ull;
	while (ft_group_members(group, ids, pids, 8) < 2 && now_ns() < deadline && !stop_requested) {
		usleep(10000);
	}
	if (ft_group_members(group, ids, pids, 8) < 2) {
		fprintf(stderr, "ftlatency: the other member never joined\n");
		ft_node_destroy(node);
		return 1;
	}

	uint8_t *buffer = calloc(1, size);
	size_t capacity = (size_t)(rate * (seconds + warmup + 5)) + 16;
	uint64_t *samples = malloc(capacity * sizeof(uint64_t));
	if (buffer == NULL || samples == NULL) {
		return 1;
	}
	size_t n = 0;
	uint64_t sent = 0, received = 0;
	uint64_t interval = (uint64_t)(1e9 / rate);
	uint64_t start = now_ns();
	uint64_t measure_from = start + (uint64_t)(warmup * 1e9);
	uint64_t end = measure_from + (uint64_t)(seconds * 1e9);
	uint64_t next_send = start;
	uint64_t measured_sent = 0;
	int peer_gone = 0;
	/* The echo side stops when the pinger's "done" message arrives, or long after the run should have ended. */
	if (is_echo) {
		end = start + (uint64_t)((seconds + warmup + 30) * 1e9);
	}

	while (!stop_requested) {
		uint64_t now = now_ns();
		if (is_ping) {
			if (now >= end) {
				break;
			}
			if (now >= next_send) {
				struct lat_header h = {
					.magic = LAT_MAGIC, .kind = KIND_PING, .flags = oneway ? 0 : FLAG_ECHO, .nodeid = self,
					.seq = sent + 1, .sent_ns = now,
				};
				memcpy(buffer, &h, sizeof h);
				if (send_retry(group, buffer, size) != FT_OK) {
					fprintf(stderr, "ftlatency: send failed\n");
					break;
				}
				sent++;
				if (now >= measure_from) {
					measured_sent++;
				}
				next_send += interval;
				if (next_send + 100 * interval < now) {
					next_send = now; /* fell far behind (descheduled): do not burst to catch up */
				}
			}
		} else if (now >= end || peer_gone) {
			break;
		}

		ft_delivery d;
		int got = 0;
		while ((rc = ft_group_take(group, &d)) == 1) {
			got = 1;
			uint64_t t = now_ns();
			struct lat_header h;
			if (d.length >= sizeof h) {
				memcpy(&h, d.data, sizeof h);
			} else {
				h.magic = 0;
			}
			if (h.magic == LAT_MAGIC && d.nodeid != self) {
				if (is_echo && h.kind == KIND_PING) {
					received++;
					if (h.seq == 0) {
						peer_gone = 1; /* the pinger's end-of-run marker */
					} else if (h.flags & FLAG_ECHO) {
						h.kind = KIND_PONG;
						memcpy(buffer, &h, sizeof h);
						size_t len = d.length < size ? d.length : size;
						if (send_retry(group, buffer, len) == FT_OK) {
							sent++;
						}
					} else if (h.sent_ns >= measure_from && n < capacity) {
						samples[n++] = t - h.sent_ns;
					}
				} else if (is_ping && h.kind == KIND_PONG && h.nodeid == self) {
					received++;
					if (h.sent_ns >= measure_from && n < capacity) {
						samples[n++] = t - h.sent_ns;
					}
				}
			}
			ft_group_release(group, &d);
		}
		if (rc < 0) {
			fprintf(stderr, "ftlatency: take failed: %s\n", ft_strerror(rc));
			break;
		}
		if (!got) {
			/* Sleep until a delivery arrives or the next ping is due, as a libcpg program polls its fd. */
			uint64_t t = now_ns();
			uint64_t left = is_ping ? (next_send > t ? next_send - t : 0) : 100000000ull;
			if (left > 20000) {
				ft_group_wait(group, (uint32_t)(left / 1000));
			} else {
				sched_yield();
			}
		}
	}
	if (is_ping) {
		/* Let late pongs in, then tell the echo side to stop. */
		uint64_t drain_until = now_ns() + 200000000ull;
		while (now_ns() < drain_until) {
			ft_delivery d;
			if (ft_group_take(group, &d) == 1) {
				struct lat_header h;
				if (d.length >= sizeof h) {
					memcpy(&h, d.data, sizeof h);
					if (h.magic == LAT_MAGIC && h.kind == KIND_PONG && h.nodeid == self) {
						received++;
						if (h.sent_ns >= measure_from && n < capacity) {
							samples[n++] = now_ns() - h.sent_ns;
						}
					}
				}
				ft_group_release(group, &d);
			} else {
				usleep(100);
			}
		}
		struct lat_header done = { .magic = LAT_MAGIC, .kind = KIND_PING, .nodeid = self, .seq = 0, .sent_ns = now_ns() };
		memcpy(buffer, &done, sizeof done);
		send_retry(group, buffer, size);
		usleep(100000);
	}

	ft_loop_info loop = { 0 };
	ft_node_loop_info(node, &loop);
	ft_group_stats stats = { 0 };
	ft_group_counters(group, &stats);
	int measured = (is_ping && !oneway) || (is_echo && oneway);
	if (measured) {
		qsort(samples, n, sizeof(uint64_t), cmp_u64);
		double sum = 0;
		for (size_t i = 0; i < n; i++) {
			sum += (double)samples[i];
		}
		printf("{\"tool\":\"ftlatency\",\"mode\":\"%s\",\"rate\":%.0f,\"size\":%zu,\"busy_poll\":%d,\"pin_cpu\":%d,"
			"\"samples\":%zu,\"sent\":%" PRIu64 ",\"received\":%" PRIu64 ",\"lost\":%" PRId64 ","
			"\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,\"mean_us\":%.1f,"
			"\"loop_tid\":%d,\"loop_cpu\":%d,\"loop_pinned\":%d,\"loop_migrations\":%" PRIu64 ",\"host_cpu\":%d,"
			"\"stalls\":%" PRIu64 ",\"overruns\":%" PRIu64 "}\n",
			mode, rate, size, busy, pin, n, sent, received,
			is_ping ? (int64_t)sent - (int64_t)received : (int64_t)0,
			pct_us(samples, n, 0.50), pct_us(samples, n, 0.99), pct_us(samples, n, 0.999),
			n ? (double)samples[n - 1] / 1000.0 : 0, n ? sum / (double)n / 1000.0 : 0,
			loop.tid, loop.cpu, loop.pinned, loop.cpu_migrations, sched_getcpu(),
			stats.delivery_stalls, stats.delivery_overruns);
	} else {
		printf("{\"tool\":\"ftlatency\",\"role\":\"%s\",\"mode\":\"%s\",\"sent\":%" PRIu64 ",\"received\":%" PRIu64
			",\"measured_sent\":%" PRIu64 ",\"loop_tid\":%d,\"loop_cpu\":%d,\"loop_pinned\":%d,\"busy_poll\":%d}\n",
			role, mode, sent, received, measured_sent, loop.tid, loop.cpu, loop.pinned, busy);
	}
	fflush(stdout);
	ft_group_leave(group);
	usleep(100000);
	ft_node_destroy(node);
	free(samples);
	free(buffer);
	return n > 0 || !measured ? 0 : 1;
}
