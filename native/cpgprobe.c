/*
 * cpgprobe: a CPG client for FastTotem's interop tests and benchmarks, written against the real
 * libcpg of corosync 3.1.7 (Debian's libcpg-dev).
 *
 * It joins a group, optionally sends numbered, timestamped messages of a given size at a given
 * rate, and prints one parseable line per event on stdout:
 *
 *   ready nodeid=N pid=P group=G
 *   confchg group=G members=n:p,... joined=n:p:r,... left=n:p:r,...
 *   totem ring=REP.SEQ members=n,...
 *   recv from=N:P seq=K size=S lat_ns=L        (only with -v; L = now - sender timestamp, CLOCK_MONOTONIC)
 *   sent seq=K                                  (only with -v)
 *   stats sent=A received=B bytes=C gaps=D reorders=E foreign=F duration_ns=T corrupt=X
 *
 * With -G (the macro benchmark, fasttotem bench) it instead prints "joined" once the group has -m members,
 * waits for "start T" on stdin (T in CLOCK_MONOTONIC ns, which every network namespace shares), with -F sends
 * from T as fast as cpg_mcast_joined accepts (retrying on CS_ERR_TRY_AGAIN) or at -r per second, measures the
 * window [T + WARMUP, T + WARMUP + SECONDS) and prints one JSON line: counts in the window and the one-way
 * latency histogram (the log-linear buckets of src/FastTotem.Cli/Bench/LatencyHistogram.cs). Its "ring_changes"
 * counts the totem configuration changes the daemon reported from T until sending stops (a token loss or a
 * member coming or going re-forms the ring; under a flood that is a failure the bench reports).
 *
 * "gaps" counts sequence numbers skipped per sender, "reorders" counts messages older than one
 * already seen from that sender. "foreign" counts received messages that are not probe messages; "corrupt"
 * counts probe messages whose length differs from the size in their header or whose letter pattern is wrong
 * (a message assembled from two halves, or cut short).
 * Exit status: 0 ok, 1 a libcpg call failed, 2 bad arguments.
 */
#define _GNU_SOURCE
#include <corosync/cpg.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROBE_MAGIC 0x42505446u /* "FTPB" */
#define MAX_SENDERS 1024

struct probe_header {
	uint32_t magic;
	uint32_t pid;
	uint64_t seq;
	uint64_t sent_ns;
	uint32_t size;
	uint32_t nodeid;
} __attribute__((packed));

struct sender_state {
	uint32_t nodeid;
	uint32_t pid;
	uint64_t next_seq;
	int used;
};

static struct sender_state senders[MAX_SENDERS];
static uint64_t stat_sent, stat_received, stat_bytes, stat_gaps, stat_reorders, stat_foreign, stat_corrupt;
static int verbose;
static volatile sig_atomic_t stop_requested;
static uint64_t expect_total;
static size_t current_members;
static uint32_t local_nodeid;

/* -G mode: the measured window and what fell into it. */
#define HIST_LINEAR 64
#define HIST_SUB 32
#define HIST_MAG_MAX 41
#define HIST_BUCKETS (HIST_LINEAR + (HIST_MAG_MAX - 5) * HIST_SUB)
static uint64_t hist[HIST_BUCKETS];
static uint64_t window_start = UINT64_MAX, window_end = UINT64_MAX;
static uint64_t win_received, win_bytes;
static uint64_t ring_changes, ring_watch_start = UINT64_MAX, ring_watch_end = UINT64_MAX;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The bucket of a latency in ns: as LatencyHistogram.BucketOf in the C# bench. */
static int bucket_of(int64_t ns)
{
	if (ns < HIST_LINEAR) {
		return ns < 0 ? 0 : (int)ns;
	}
	int magnitude = 63 - __builtin_clzll((uint64_t)ns);
	if (magnitude > HIST_MAG_MAX) {
		return HIST_BUCKETS - 1;
	}
	int sub = (int)((uint64_t)ns >> (magnitude - 5)) - HIST_SUB;
	return HIST_LINEAR + (magnitude - 6) * HIST_SUB + sub;
}

static struct sender_state *sender_for(uint32_t nodeid, uint32_t pid)
{
	unsigned int h = (nodeid * 2654435761u ^ pid) % MAX_SENDERS;
	for (unsigned int i = 0; i < MAX_SENDERS; i++) {
		struct sender_state *s = &senders[(h + i) % MAX_SENDERS];
		if (!s->used) {
			s->used = 1;
			s->nodeid = nodeid;
			s->pid = pid;
			s->next_seq = 1;
			return s;
		}
		if (s->nodeid == nodeid && s->pid == pid) {
			return s;
		}
	}
	return NULL;
}

static void on_deliver(cpg_handle_t handle, const struct cpg_name *group, uint32_t nodeid,
	uint32_t pid, void *msg, size_t msg_len)
{
	struct probe_header h;
	(void)handle;
	(void)group;
	stat_received++;
	stat_bytes += msg_len;
	if (msg_len < sizeof(h)) {
		stat_foreign++;
		if (verbose) {
			printf("recv from=%u:%u seq=0 size=%zu lat_ns=0\n", nodeid, pid, msg_len);
		}
		return;
	}
	memcpy(&h, msg, sizeof(h));
	if (h.magic != PROBE_MAGIC) {
		stat_foreign++;
		if (verbose) {
			printf("recv from=%u:%u seq=0 size=%zu lat_ns=0\n", nodeid, pid, msg_len);
		}
		return;
	}
	int corrupt = h.size != msg_len;
	for (size_t i = sizeof(h); !corrupt && i < msg_len; i++) {
		corrupt = ((const char *)msg)[i] != (char)('a' + i % 26);
	}
	if (corrupt) {
		stat_corrupt++;
	}
	struct sender_state *s = sender_for(nodeid, pid);
	if (s != NULL) {
		if (h.seq > s->next_seq) {
			stat_gaps += h.seq - s->next_seq;
		} else if (h.seq < s->next_seq) {
			stat_reorders++;
		}
		if (h.seq >= s->next_seq) {
			s->next_seq = h.seq + 1;
		}
	}
	if (window_start != UINT64_MAX) {
		uint64_t now = now_ns();
		if (now >= window_start && now < window_end) {
			win_received++;
			win_bytes += msg_len;
			hist[bucket_of((int64_t)(now - h.sent_ns))]++;
		}
	}
	if (verbose) {
		printf("recv from=%u:%u seq=%" PRIu64 " size=%zu lat_ns=%" PRId64 "\n", nodeid, pid, h.seq,
			msg_len, (int64_t)(now_ns() - h.sent_ns));
	}
}

static void print_list(const char *key, const struct cpg_address *list, size_t n, int with_reason)
{
	printf(" %s=", key);
	for (size_t i = 0; i < n; i++) {
		if (with_reason) {
			printf("%s%u:%u:%u", i ? "," : "", list[i].nodeid, list[i].pid, list[i].reason);
		} else {
			printf("%s%u:%u", i ? "," : "", list[i].nodeid, list[i].pid);
		}
	}
}

static void on_confchg(cpg_handle_t handle, const struct cpg_name *group,
	const struct cpg_address *members, size_t n_members,
	const struct cpg_address *left, size_t n_left,
	const struct cpg_address *joined, size_t n_joined)
{
	(void)handle;
	current_members = n_members;
	printf("confchg group=%.*s", (int)group->length, group->value);
	print_list("members", members, n_members, 0);
	print_list("joined", joined, n_joined, 1);
	print_list("left", left, n_left, 1);
	printf("\n");
	fflush(stdout);
}

static void on_totem(cpg_handle_t handle, struct cpg_ring_id ring_id, uint32_t n, const uint32_t *members)
{
	(void)handle;
	printf("totem ring=%u.%" PRIu64 " members=", ring_id.nodeid, ring_id.seq);
	for (uint32_t i = 0; i < n; i++) {
		printf("%s%u", i ? "," : "", members[i]);
	}
	printf("\n");
	fflush(stdout);
}

static void on_bench_confchg(cpg_handle_t handle, const struct cpg_name *group,
	const struct cpg_address *members, size_t n_members,
	const struct cpg_address *left, size_t n_left,
	const struct cpg_address *joined, size_t n_joined)
{
	(void)handle;
	(void)group;
	(void)members;
	(void)left;
	(void)n_left;
	(void)joined;
	(void)n_joined;
	current_members = n_members;
}

/* -G: a ring re-formed; counted while the scenario runs (the initial configuration comes before T). */
static void on_bench_totem(cpg_handle_t handle, struct cpg_ring_id ring_id, uint32_t n, const uint32_t *members)
{
	(void)handle;
	(void)ring_id;
	(void)n;
	(void)members;
	uint64_t now = now_ns();
	if (now >= ring_watch_start && now < ring_watch_end) {
		ring_changes++;
	}
}

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: cpgprobe [-g GROUP] [-s SIZE[,SIZE...]] [-r RATE] [-n COUNT] [-m MEMBERS] [-t SECONDS] [-e EXPECT] [-v]\n"
		"  -g GROUP   CPG group to join (default fasttotem)\n"
		"  -s SIZES   bytes per message, at least %zu (default 64); a list is used in turn\n"
		"  -m MEMBERS start sending once the group has this many members\n"
		"  -r RATE    messages per second, 0 = as fast as flow control allows (default 0)\n"
		"  -n COUNT   messages to send (default 0: only receive)\n"
		"  -t SECONDS stop after this long (default: when sent and expected are done, or on SIGINT/SIGTERM)\n"
		"  -e EXPECT  keep running until this many probe messages were received\n"
		"  -v         print every sent and received message\n"
		"  -G         bench mode: \"joined\" at -m members, then \"start T\" on stdin; window -w WARMUP + -t SECONDS\n"
		"  -F         bench mode: send from T until the window ends (flood, or -r per second)\n"
		"  -w WARMUP  bench mode: seconds between T and the measured window (default 2)\n"
		"  -L ROLE    latency mode (ftlatency's twin): ping (sends -r/s, default 1000) or echo; -w warm-up, -t seconds\n"
		"  -M MODE    latency mode: pingpong (round trips, measured by ping) or oneway (measured by echo)\n",
		sizeof(struct probe_header));
}

static void bench_report(uint64_t sent_in_window, double window_s, int sender, uint64_t try_again)
{
	printf("{\"system\":\"corosync\",\"node\":%u,\"sender\":%d,\"window_s\":%.6f,\"sent\":%" PRIu64
		",\"sent_total\":%" PRIu64 ",\"try_again\":%" PRIu64 ",\"delivered\":%" PRIu64 ",\"bytes\":%" PRIu64
		",\"delivered_total\":%" PRIu64 ",\"gaps\":%" PRIu64 ",\"reorders\":%" PRIu64 ",\"foreign\":%" PRIu64
		",\"ring_changes\":%" PRIu64 ",\"hist\":[",
		local_nodeid, sender, window_s, sent_in_window, stat_sent, try_again, win_received, win_bytes,
		stat_received, stat_gaps, stat_reorders, stat_foreign, ring_changes);
	int first = 1;
	for (int i = 0; i < HIST_BUCKETS; i++) {
		if (hist[i] != 0) {
			printf("%s[%d,%" PRIu64 "]", first ? "" : ",", i, hist[i]);
			first = 0;
		}
	}
	printf("]}\n");
	fflush(stdout);
}

/*
 * Connects to the local daemon with model, joins group_name (retrying while CPG says TRY_AGAIN) and returns the
 * poll fd, or -1 after printing why. Every mode starts this way.
 */
static int connect_and_join(cpg_model_v1_data_t *model, const char *group_name, struct cpg_name *group,
	cpg_handle_t *handle, uint32_t *nodeid)
{
	size_t length = strlen(group_name);
	if (length == 0 || length > sizeof(group->value)) {
		fprintf(stderr, "cpgprobe: group name must be 1 to %zu bytes\n", sizeof(group->value));
		return -1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	cs_error_t err = cpg_model_initialize(handle, CPG_MODEL_V1, (cpg_model_data_t *)model, NULL);
	if (err != CS_OK) {
		fprintf(stderr, "cpgprobe: cpg_model_initialize failed: %d\n", err);
		return -1;
	}
	group->length = (uint32_t)length;
	memcpy(group->value, group_name, length);
	while ((err = cpg_join(*handle, group)) == CS_ERR_TRY_AGAIN) {
		usleep(10000);
	}
	if (err != CS_OK) {
		fprintf(stderr, "cpgprobe: cpg_join failed: %d\n", err);
		return -1;
	}
	cpg_local_get(*handle, nodeid);
	int fd = -1;
	cpg_fd_get(*handle, &fd);
	return fd;
}

/* A message buffer of size bytes: room for the probe header, then a letter pattern. NULL when out of memory. */
static char *probe_buffer(size_t size)
{
	char *buffer = calloc(1, size);
	if (buffer != NULL) {
		for (size_t i = sizeof(struct probe_header); i < size; i++) {
			buffer[i] = (char)('a' + i % 26);
		}
	}
	return buffer;
}

/* -G: the macro benchmark's member, driven over stdin by fasttotem bench. */
static int bench_main(const char *group_name, size_t size, size_t wait_members, double rate, double warmup,
	double seconds, int send)
{
	cpg_model_v1_data_t model = {
		.model = CPG_MODEL_V1,
		.cpg_deliver_fn = on_deliver,
		.cpg_confchg_fn = on_bench_confchg,
		.cpg_totem_confchg_fn = on_bench_totem,
		.flags = CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF,
	};
	cpg_handle_t handle;
	struct cpg_name group;
	cs_error_t err;
	int fd = connect_and_join(&model, group_name, &group, &handle, &local_nodeid);
	if (fd < 0) {
		return 1;
	}
	char *buffer = probe_buffer(size);
	if (buffer == NULL) {
		return 1;
	}
	uint64_t interval = rate > 0 ? (uint64_t)(1e9 / rate) : 0;
	uint64_t start = 0, send_until = 0, exit_at = 0, next_send = 0;
	uint64_t sent_at_start = 0, sent_at_end = 0, try_again = 0;
	int joined = 0, started = 0, begun = 0, ended = 0, rc = 0;
	char line[128];
	size_t line_len = 0;
	while (!stop_requested) {
		uint64_t now = now_ns();
		if (!joined && current_members >= wait_members) {
			joined = 1;
			printf("joined\n");
			fflush(stdout);
		}
		if (started) {
			if (!begun && now >= window_start) {
				begun = 1;
				sent_at_start = stat_sent;
			}
			if (!ended && now >= window_end) {
				ended = 1;
				sent_at_end = stat_sent;
			}
			if (now >= exit_at) {
				break;
			}
		}
		/* Precise waits (ppoll): a paced sender sleeps until its next slot instead of spinning a core. */
		int64_t timeout_ns = 100000000;
		if (started && send && now >= start && now < send_until) {
			if (now >= next_send) {
				struct probe_header h = {
					.magic = PROBE_MAGIC, .pid = (uint32_t)getpid(), .seq = stat_sent + 1,
					.sent_ns = now, .size = (uint32_t)size, .nodeid = local_nodeid,
				};
				memcpy(buffer, &h, sizeof(h));
				struct iovec iov = { .iov_base = buffer, .iov_len = size };
				err = cpg_mcast_joined(handle, CPG_TYPE_AGREED, &iov, 1);
				if (err == CS_OK) {
					stat_sent++;
					next_send = interval ? next_send + interval : now;
					timeout_ns = 0;
				} else if (err == CS_ERR_TRY_AGAIN) {
					try_again++;
					timeout_ns = 1000000;
				} else {
					fprintf(stderr, "cpgprobe: cpg_mcast_joined failed: %d\n", err);
					rc = 1;
					break;
				}
			} else {
				timeout_ns = (int64_t)(next_send - now);
			}
		} else if (started) {
			timeout_ns = now < start ? (int64_t)(start - now) : 10000000;
		}
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = 0, .events = POLLIN } };
		struct timespec ts = { .tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000 };
		int ready = ppoll(p, started ? 1 : 2, &ts, NULL);
		if (ready > 0 && (p[0].revents & POLLIN)) {
			err = cpg_dispatch(handle, CS_DISPATCH_ALL);
			if (err != CS_OK && err != CS_ERR_TRY_AGAIN) {
				fprintf(stderr, "cpgprobe: cpg_dispatch failed: %d\n", err);
				rc = 1;
				break;
			}
		}
		if (ready > 0 && !started && (p[1].revents & (POLLIN | POLLHUP))) {
			ssize_t got = read(0, line + line_len, sizeof(line) - 1 - line_len);
			if (got <= 0) {
				break;
			}
			line_len += (size_t)got;
			line[line_len] = '\0';
			if (strchr(line, '\n') != NULL) {
				unsigned long long t = 0;
				if (sscanf(line, "start %llu", &t) != 1) {
					fprintf(stderr, "cpgprobe: expected 'start T', got '%s'\n", line);
					rc = 2;
					break;
				}
				start = t;
				next_send = start;
				window_start = start + (uint64_t)(warmup * 1e9);
				window_end = window_start + (uint64_t)(seconds * 1e9);
				send_until = window_end + 300000000ull;
				exit_at = send_until + 300000000ull;
				ring_watch_start = start;
				ring_watch_end = send_until;
				started = 1;
			} else if (line_len >= sizeof(line) - 1) {
				rc = 2;
				break;
			}
		}
	}
	cpg_dispatch(handle, CS_DISPATCH_ALL);
	if (rc == 0 && started) {
		bench_report(sent_at_end - sent_at_start, seconds, send, try_again);
	}
	cpg_leave(handle, &group);
	cpg_finalize(handle);
	free(buffer);
	return rc;
}

static int latency_main(const char *group_name, const char *role, const char *mode, size_t size, double rate,
	double warmup, double seconds);

int main(int argc, char **argv)
{
	const char *group_name = "fasttotem";
	const char *latency_role = NULL, *latency_mode = "pingpong";
	size_t sizes[16] = { 64 };
	size_t size_count = 1;
	size_t size = 64;
	size_t wait_members = 0;
	double rate = 0;
	uint64_t count = 0;
	double seconds = 0;
	int opt;
	int go_mode = 0, go_send = 0;
	double warmup = 2;

	while ((opt = getopt(argc, argv, "g:s:r:n:m:t:e:w:vhGFL:M:")) != -1) {
		char *end = NULL;
		errno = 0;
		switch (opt) {
		case 'g': group_name = optarg; break;
		case 's':
			size_count = 0;
			size = 0;
			for (char *p = optarg; size_count < 16; p = end + 1) {
				sizes[size_count] = strtoul(p, &end, 10);
				if (sizes[size_count] > size) {
					size = sizes[size_count];
				}
				size_count++;
				if (*end != ',') {
					break;
				}
			}
			break;
		case 'm': wait_members = strtoul(optarg, &end, 10); break;
		case 'r': rate = strtod(optarg, &end); break;
		case 'n': count = strtoull(optarg, &end, 10); break;
		case 't': seconds = strtod(optarg, &end); break;
		case 'e': expect_total = strtoull(optarg, &end, 10); break;
		case 'v': verbose = 1; break;
		case 'G': go_mode = 1; break;
		case 'F': go_send = 1; break;
		case 'w': warmup = strtod(optarg, &end); break;
		case 'L': latency_role = optarg; break;
		case 'M': latency_mode = optarg; break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
		if (end != NULL && (*end != '\0' || errno != 0)) {
			fprintf(stderr, "cpgprobe: bad value '%s' for -%c\n", optarg, opt);
			return 2;
		}
	}
	for (size_t i = 0; i < size_count; i++) {
		if (sizes[i] < sizeof(struct probe_header)) {
			usage();
			return 2;
		}
	}
	if (size < sizeof(struct probe_header) || size > 1024 * 1024 * 1024 || strlen(group_name) > CPG_MAX_NAME_LENGTH - 1 || rate < 0) {
		usage();
		return 2;
	}
	if (latency_role != NULL) {
		return latency_main(group_name, latency_role, latency_mode, size, rate > 0 ? rate : 1000, warmup, seconds > 0 ? seconds : 10);
	}
	if (go_mode) {
		return bench_main(group_name, size, (size_t)wait_members, rate, warmup, seconds, go_send);
	}

	cpg_model_v1_data_t model = {
		.model = CPG_MODEL_V1,
		.cpg_deliver_fn = on_deliver,
		.cpg_confchg_fn = on_confchg,
		.cpg_totem_confchg_fn = on_totem,
		.flags = CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF,
	};
	cpg_handle_t handle;
	struct cpg_name group;
	cs_error_t err;
	int fd = connect_and_join(&model, group_name, &group, &handle, &local_nodeid);
	if (fd < 0) {
		return 1;
	}
	printf("ready nodeid=%u pid=%d group=%s\n", local_nodeid, getpid(), group_name);
	fflush(stdout);

	char *buffer = probe_buffer(size);
	if (buffer == NULL) {
		return 1;
	}

	uint64_t start = now_ns();
	uint64_t interval = rate > 0 ? (uint64_t)(1e9 / rate) : 0;
	uint64_t next_send = start;
	int rc = 0;
	while (!stop_requested) {
		uint64_t now = now_ns();
		if (seconds > 0 && now - start >= (uint64_t)(seconds * 1e9)) {
			break;
		}
		if ((count > 0 || expect_total > 0) && stat_sent >= count && (expect_total == 0 || stat_received >= expect_total)) {
			break;
		}
		int timeout_ms = 100;
		if (stat_sent < count && current_members < wait_members) {
			next_send = now;
		} else if (stat_sent < count) {
			if (now >= next_send) {
				size_t this_size = sizes[stat_sent % size_count];
				struct probe_header h = {
					.magic = PROBE_MAGIC, .pid = (uint32_t)getpid(), .seq = stat_sent + 1,
					.sent_ns = now, .size = (uint32_t)this_size, .nodeid = local_nodeid,
				};
				memcpy(buffer, &h, sizeof(h));
				struct iovec iov = { .iov_base = buffer, .iov_len = this_size };
				err = cpg_mcast_joined(handle, CPG_TYPE_AGREED, &iov, 1);
				if (err == CS_OK) {
					stat_sent++;
					if (verbose) {
						printf("sent seq=%" PRIu64 "\n", stat_sent);
					}
					next_send = interval ? next_send + interval : now;
					timeout_ms = 0;
				} else if (err == CS_ERR_TRY_AGAIN) {
					timeout_ms = 1;
				} else {
					fprintf(stderr, "cpgprobe: cpg_mcast_joined failed: %d\n", err);
					rc = 1;
					break;
				}
			} else {
				timeout_ms = (int)((next_send - now) / 1000000);
			}
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int ready = poll(&p, 1, timeout_ms);
		if (ready > 0) {
			err = cpg_dispatch(handle, CS_DISPATCH_ALL);
			if (err != CS_OK && err != CS_ERR_TRY_AGAIN) {
				fprintf(stderr, "cpgprobe: cpg_dispatch failed: %d\n", err);
				rc = 1;
				break;
			}
		}
	}
	uint64_t duration = now_ns() - start;
	cpg_dispatch(handle, CS_DISPATCH_ALL);
	printf("stats sent=%" PRIu64 " received=%" PRIu64 " bytes=%" PRIu64 " gaps=%" PRIu64
		" reorders=%" PRIu64 " foreign=%" PRIu64 " duration_ns=%" PRIu64 " corrupt=%" PRIu64 "\n",
		stat_sent, stat_received, stat_bytes, stat_gaps, stat_reorders, stat_foreign, duration, stat_corrupt);
	fflush(stdout);
	cpg_leave(handle, &group);
	cpg_finalize(handle);
	free(buffer);
	return rc;
}

/*
 * Latency mode (-L ping|echo, -M pingpong|oneway): the libcpg side of native/examples/ftlatency.c, with the same
 * message header and the same JSON summary, so corosync + libcpg and FastTotem's C API are measured alike. The
 * ping side sends at -r msgs/s for -w + -t seconds; the echo side answers (ping-pong, measured by ping) or only
 * records (one-way, measured by echo). Waits in poll() on the libcpg fd, as a libcpg program does.
 */
#define LAT_MAGIC 0x504c5446u /* "FTLP" */
#define LAT_PING 1u
#define LAT_PONG 2u
#define LAT_ECHO 1u

struct lat_header {
	uint32_t magic;
	uint32_t kind;
	uint32_t flags;
	uint32_t nodeid;
	uint64_t seq;
	uint64_t sent_ns;
} __attribute__((packed));

static struct {
	int is_ping, oneway, peer_gone;
	uint32_t self;
	cpg_handle_t handle;
	uint64_t measure_from, sent, received;
	uint64_t *samples;
	size_t n, capacity;
	size_t members;
	char *buffer;
	size_t size;
} lat;

static int lat_send(const void *data, size_t length)
{
	struct iovec iov = { .iov_base = (void *)data, .iov_len = length };
	cs_error_t err;
	/* TRY_AGAIN is the daemon's flow control (or a sync in progress): wait, do not dispatch (this may run inside
	 * the deliver callback, and cpg_dispatch is not re-entrant); give up after 5 s. */
	for (int i = 0; (err = cpg_mcast_joined(lat.handle, CPG_TYPE_AGREED, &iov, 1)) == CS_ERR_TRY_AGAIN && i < 50000; i++) {
		usleep(100);
	}
	return err == CS_OK ? 0 : -1;
}

static void lat_deliver(cpg_handle_t handle, const struct cpg_name *group, uint32_t nodeid, uint32_t pid, void *msg, size_t len)
{
	(void)handle;
	(void)group;
	(void)pid;
	uint64_t t = now_ns();
	struct lat_header h;
	if (len < sizeof h || nodeid == lat.self) {
		return;
	}
	memcpy(&h, msg, sizeof h);
	if (h.magic != LAT_MAGIC) {
		return;
	}
	if (!lat.is_ping && h.kind == LAT_PING) {
		lat.received++;
		if (h.seq == 0) {
			lat.peer_gone = 1;
		} else if (h.flags & LAT_ECHO) {
			h.kind = LAT_PONG;
			memcpy(lat.buffer, &h, sizeof h);
			if (lat_send(lat.buffer, len < lat.size ? len : lat.size) == 0) {
				lat.sent++;
			}
		} else if (h.sent_ns >= lat.measure_from && lat.n < lat.capacity) {
			lat.samples[lat.n++] = t - h.sent_ns;
		}
	} else if (lat.is_ping && h.kind == LAT_PONG && h.nodeid == lat.self) {
		lat.received++;
		if (h.sent_ns >= lat.measure_from && lat.n < lat.capacity) {
			lat.samples[lat.n++] = t - h.sent_ns;
		}
	}
}

static void lat_confchg(cpg_handle_t handle, const struct cpg_name *group, const struct cpg_address *members, size_t n_members,
	const struct cpg_address *left, size_t n_left, const struct cpg_address *joined, size_t n_joined)
{
	(void)handle; (void)group; (void)members; (void)left; (void)n_left; (void)joined; (void)n_joined;
	lat.members = n_members;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double lat_pct_us(double p)
{
	return lat.n == 0 ? 0 : (double)lat.samples[(size_t)(p * (double)(lat.n - 1) + 0.5)] / 1000.0;
}

static int latency_main(const char *group_name, const char *role, const char *mode, size_t size, double rate,
	double warmup, double seconds)
{
	lat.is_ping = strcmp(role, "ping") == 0;
	lat.oneway = strcmp(mode, "oneway") == 0;
	if ((!lat.is_ping && strcmp(role, "echo") != 0) || (!lat.oneway && strcmp(mode, "pingpong") != 0) || size < sizeof(struct lat_header)) {
		usage();
		return 2;
	}
	cpg_model_v1_data_t model = { .model = CPG_MODEL_V1, .cpg_deliver_fn = lat_deliver, .cpg_confchg_fn = lat_confchg };
	struct cpg_name group;
	int fd = connect_and_join(&model, group_name, &group, &lat.handle, &lat.self);
	if (fd < 0) {
		return 1;
	}
	printf("ready nodeid=%u role=%s group=%s\n", lat.self, role, group_name);
	fflush(stdout);
	uint64_t deadline = now_ns() + 60000000000ull;
	while (lat.members < 2 && now_ns() < deadline && !stop_requested) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 10) > 0) {
			cpg_dispatch(lat.handle, CS_DISPATCH_ALL);
		}
	}
	if (lat.members < 2) {
		fprintf(stderr, "cpgprobe: the other member never joined\n");
		return 1;
	}
	lat.size = size;
	lat.buffer = calloc(1, size);
	lat.capacity = (size_t)(rate * (seconds + warmup + 5)) + 16;
	lat.samples = malloc(lat.capacity * sizeof(uint64_t));
	if (lat.buffer == NULL || lat.samples == NULL) {
		return 1;
	}
	uint64_t interval = (uint64_t)(1e9 / rate);
	uint64_t start = now_ns();
	lat.measure_from = start + (uint64_t)(warmup * 1e9);
	uint64_t end = lat.is_ping ? lat.measure_from + (uint64_t)(seconds * 1e9) : start + (uint64_t)((seconds + warmup + 30) * 1e9);
	uint64_t next_send = start;
	while (!stop_requested && !lat.peer_gone) {
		uint64_t now = now_ns();
		if (now >= end) {
			break;
		}
		int timeout_ms = 100;
		if (lat.is_ping) {
			if (now >= next_send) {
				struct lat_header h = { .magic = LAT_MAGIC, .kind = LAT_PING, .flags = lat.oneway ? 0 : LAT_ECHO,
					.nodeid = lat.self, .seq = lat.sent + 1, .sent_ns = now };
				memcpy(lat.buffer, &h, sizeof h);
				if (lat_send(lat.buffer, size) != 0) {
					fprintf(stderr, "cpgprobe: send failed\n");
					break;
				}
				lat.sent++;
				next_send += interval;
				if (next_send + 100 * interval < now) {
					next_send = now;
				}
			}
			now = now_ns();
			timeout_ms = next_send > now ? (int)((next_send - now) / 1000000) : 0;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, timeout_ms) > 0) {
			cpg_dispatch(lat.handle, CS_DISPATCH_ALL);
		}
	}
	if (lat.is_ping) {
		uint64_t drain_until = now_ns() + 200000000ull;
		while (now_ns() < drain_until) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			if (poll(&p, 1, 10) > 0) {
				cpg_dispatch(lat.handle, CS_DISPATCH_ALL);
			}
		}
		struct lat_header done = { .magic = LAT_MAGIC, .kind = LAT_PING, .nodeid = lat.self, .seq = 0, .sent_ns = now_ns() };
		memcpy(lat.buffer, &done, sizeof done);
		lat_send(lat.buffer, size);
	}
	int measured = (lat.is_ping && !lat.oneway) || (!lat.is_ping && lat.oneway);
	if (measured) {
		qsort(lat.samples, lat.n, sizeof(uint64_t), cmp_u64);
		double sum = 0;
		for (size_t i = 0; i < lat.n; i++) {
			sum += (double)lat.samples[i];
		}
		printf("{\"tool\":\"cpgprobe\",\"mode\":\"%s\",\"rate\":%.0f,\"size\":%zu,\"samples\":%zu,\"sent\":%" PRIu64
			",\"received\":%" PRIu64 ",\"lost\":%" PRId64 ",\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,\"mean_us\":%.1f}\n",
			mode, rate, size, lat.n, lat.sent, lat.received, lat.is_ping ? (int64_t)lat.sent - (int64_t)lat.received : (int64_t)0,
			lat_pct_us(0.50), lat_pct_us(0.99), lat_pct_us(0.999), lat.n ? (double)lat.samples[lat.n - 1] / 1000.0 : 0,
			lat.n ? sum / (double)lat.n / 1000.0 : 0);
	} else {
		printf("{\"tool\":\"cpgprobe\",\"role\":\"%s\",\"mode\":\"%s\",\"sent\":%" PRIu64 ",\"received\":%" PRIu64 "}\n",
			role, mode, lat.sent, lat.received);
	}
	fflush(stdout);
	cpg_leave(lat.handle, &group);
	cpg_finalize(lat.handle);
	free(lat.samples);
	free(lat.buffer);
	return lat.n > 0 || !measured ? 0 : 1;
}
