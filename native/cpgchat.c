/*
 * cpgchat: talk to a CPG group from a shell with the real libcpg. Each stdin line is multicast to the
 * group; every delivery is printed as "NODEID:PID: TEXT"; membership changes as "* confchg ...".
 * Ends at the end of stdin (after a short drain) or on SIGINT/SIGTERM.
 * usage: cpgchat GROUP
 */
#define _GNU_SOURCE
#include <corosync/cpg.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_deliver(cpg_handle_t handle, const struct cpg_name *group, uint32_t nodeid, uint32_t pid, void *msg, size_t len)
{
	(void)handle;
	(void)group;
	printf("%u:%u: %.*s\n", nodeid, pid, (int)len, (const char *)msg);
	fflush(stdout);
}

static void on_confchg(cpg_handle_t handle, const struct cpg_name *group,
	const struct cpg_address *members, size_t n_members,
	const struct cpg_address *left, size_t n_left,
	const struct cpg_address *joined, size_t n_joined)
{
	(void)handle;
	printf("* confchg %.*s: %zu members", (int)group->length, group->value, n_members);
	for (size_t i = 0; i < n_joined; i++) {
		printf(", joined %u:%u", joined[i].nodeid, joined[i].pid);
	}
	for (size_t i = 0; i < n_left; i++) {
		printf(", left %u:%u reason %u", left[i].nodeid, left[i].pid, left[i].reason);
	}
	(void)members;
	printf("\n");
	fflush(stdout);
}

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

int main(int argc, char **argv)
{
	if (argc != 2 || strlen(argv[1]) >= CPG_MAX_NAME_LENGTH) {
		fprintf(stderr, "usage: cpgchat GROUP\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	cpg_callbacks_t callbacks = { .cpg_deliver_fn = on_deliver, .cpg_confchg_fn = on_confchg };
	cpg_handle_t handle;
	if (cpg_initialize(&handle, &callbacks) != CS_OK) {
		fprintf(stderr, "cpgchat: cpg_initialize failed\n");
		return 1;
	}
	struct cpg_name group = { .length = (uint32_t)strlen(argv[1]) };
	memcpy(group.value, argv[1], group.length);
	cs_error_t err;
	while ((err = cpg_join(handle, &group)) == CS_ERR_TRY_AGAIN) {
		usleep(10000);
	}
	if (err != CS_OK) {
		fprintf(stderr, "cpgchat: cpg_join failed: %d\n", err);
		return 1;
	}
	int fd;
	cpg_fd_get(handle, &fd);
	int stdin_open = 1;
	int drain_polls = 0;
	char line[4096];
	while (!stop_requested && drain_polls < 10) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = 0, .events = stdin_open ? POLLIN : 0 } };
		int ready = poll(p, 2, 100);
		if (ready > 0 && (p[0].revents & POLLIN)) {
			cpg_dispatch(handle, CS_DISPATCH_ALL);
		}
		if (!stdin_open) {
			drain_polls++;
			continue;
		}
		if (ready > 0 && (p[1].revents & (POLLIN | POLLHUP))) {
			if (fgets(line, sizeof(line), stdin) == NULL) {
				stdin_open = 0;
				continue;
			}
			size_t len = strcspn(line, "\n");
			struct iovec iov = { .iov_base = line, .iov_len = len };
			while ((err = cpg_mcast_joined(handle, CPG_TYPE_AGREED, &iov, 1)) == CS_ERR_TRY_AGAIN) {
				cpg_dispatch(handle, CS_DISPATCH_ALL);
				usleep(1000);
			}
		}
	}
	cpg_leave(handle, &group);
	cpg_finalize(handle);
	return 0;
}
