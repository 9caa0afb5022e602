/*
 * The C ABI against the real libfasttotem.so: error handling for bad input, then a one-node ring on loopback
 * that joins a group and receives its own messages in order. Prints one line per check and a final
 * "N passed, N failed" line.
 */
#include "fasttotem.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int passed, failed;

#define CHECK(cond, what) do { if (cond) { passed++; printf("ok   %s\n", what); } else { failed++; printf("FAIL %s\n", what); } } while (0)

static int received;
static int in_order = 1;

static void on_deliver(void *user, uint32_t nodeid, uint32_t pid, const uint8_t *data, size_t length)
{
	(void)user;
	(void)pid;
	int seq;
	if (length == sizeof(seq) && nodeid == 1) {
		memcpy(&seq, data, sizeof(seq));
		if (seq != received) {
			in_order = 0;
		}
		received++;
	}
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	char detail[256];
	ft_node none = 0;
	ft_group group = 0;

	CHECK(ft_api_version() == FT_API_VERSION, "api version");
	CHECK(ft_node_create(NULL, 0, &none) == FT_ERR_INVALID_ARGUMENT, "NULL config path is an error");
	CHECK(ft_node_create("/nonexistent/corosync.conf", 1, &none) == FT_ERR_CONFIG && none == 0, "missing config file is FT_ERR_CONFIG");
	CHECK(ft_last_error(detail, sizeof detail) > 0 && strstr(detail, "cannot read") != NULL, "ft_last_error explains it");
	CHECK(ft_node_start(12345) == FT_ERR_INVALID_HANDLE, "forged node handle");
	CHECK(ft_group_try_mcast(777, "x", 1) == FT_ERR_INVALID_HANDLE, "forged group handle");
	CHECK(ft_group_dispatch(777, on_deliver, NULL, 10) == FT_ERR_INVALID_HANDLE, "dispatch on a forged handle");
	CHECK(strcmp(ft_strerror(FT_ERR_TRY_AGAIN), "try again: the send queue is full") == 0, "ft_strerror");

	char dir[] = "/tmp/fasttotem-capi-XXXXXX";
	if (mkdtemp(dir) == NULL) {
		return 1;
	}
	char conf[512];
	snprintf(conf, sizeof conf, "%s/corosync.conf", dir);
	FILE *f = fopen(conf, "w");
	int port = 20000 + getpid() % 20000;
	fprintf(f, "totem {\n\tversion: 2\n\tcluster_name: capi\n\ttransport: udpu\n\ttoken: 1000\n\tinterface {\n\t\tlinknumber: 0\n\t\tmcastport: %d\n\t}\n}\n"
		"system {\n\tstate_dir: %s\n}\nnodelist {\n\tnode {\n\t\tnodeid: 1\n\t\tring0_addr: 127.0.0.1\n\t}\n}\n", port, dir);
	fclose(f);

	ft_node node = 0;
	CHECK(ft_node_create(conf, 1, &node) == FT_OK && node != 0, "create a node from corosync.conf");
	CHECK(ft_group_join(node, "capi", 1000, &group) == FT_ERR_STATE, "join before start is FT_ERR_STATE");
	CHECK(ft_node_start(node) == FT_OK, "start");
	CHECK(ft_node_start(node) == FT_ERR_STATE, "second start is FT_ERR_STATE");
	uint32_t id = 0;
	CHECK(ft_node_id(node, &id) == FT_OK && id == 1, "node id");
	CHECK(ft_group_join(node, "capi", 10000, &group) == FT_OK && group != 0, "join a group");
	CHECK(ft_group_join(node, NULL, 0, &group) == FT_ERR_INVALID_ARGUMENT, "NULL group name");
	uint32_t nodeids[4], pids[4];
	CHECK(ft_group_members(group, nodeids, pids, 4) == 1 && nodeids[0] == 1, "the group lists this member");

	static uint8_t big[128 * 1024];
	CHECK(ft_group_try_mcast(group, big, sizeof big) == FT_ERR_TOO_LARGE, "oversize message is FT_ERR_TOO_LARGE");
	CHECK(ft_group_try_mcast(group, NULL, 4) == FT_ERR_INVALID_ARGUMENT, "NULL data");

	int sent = 0;
	while (sent < 100) {
		int rc = ft_group_try_mcast(group, &sent, sizeof sent);
		if (rc == FT_OK) {
			sent++;
		} else if (rc == FT_ERR_TRY_AGAIN) {
			usleep(1000);
		} else {
			break;
		}
	}
	CHECK(sent == 100, "100 messages queued");
	for (int i = 0; i < 5000 && received < 100; i++) {
		if (ft_group_dispatch(group, on_deliver, NULL, 64) == 0) {
			usleep(1000);
		}
	}
	CHECK(received == 100 && in_order, "own messages delivered once each, in order");
	CHECK(ft_group_leave(group) == FT_OK, "leave the group");
	CHECK(ft_node_destroy(node) == FT_OK, "destroy the node");
	CHECK(ft_group_try_mcast(group, "x", 1) == FT_ERR_INVALID_HANDLE, "a destroyed node's group handle is invalid");
	CHECK(ft_node_destroy(node) == FT_ERR_INVALID_HANDLE, "double destroy is an error, not a crash");

	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0) {
		failed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
