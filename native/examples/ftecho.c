/*
 * ftecho: a C host on the FastTotem C API. It joins a ring described by a corosync.conf (real corosync daemons
 * may be members), joins a CPG group, and echoes every message another member sends, prefixed with "echo: ".
 * Membership changes go to stderr, from its own join on.
 * usage: ftecho CONFIG GROUP [SECONDS]
 */
#include "fasttotem.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ft_group group;
static uint32_t self;

static void on_deliver(void *user, uint32_t nodeid, uint32_t pid, const uint8_t *data, size_t length)
{
	(void)user;
	printf("%u:%u: %.*s\n", nodeid, pid, (int)length, (const char *)data);
	fflush(stdout);
	if (nodeid == self || (length >= 6 && memcmp(data, "echo: ", 6) == 0)) {
		return;
	}
	char reply[1024];
	int n = snprintf(reply, sizeof reply, "echo: %.*s", (int)(length > 1000 ? 1000 : length), (const char *)data);
	while (ft_group_try_mcast(group, reply, (size_t)n) == FT_ERR_TRY_AGAIN) {
		usleep(1000);
	}
}

static void on_confchg(void *user, const ft_confchg *change)
{
	(void)user;
	fprintf(stderr, "ftecho: confchg members=%zu", change->member_count);
	for (size_t i = 0; i < change->joined_count; i++) {
		fprintf(stderr, " joined=%u:%u(reason %u)", change->joined[i].nodeid, change->joined[i].pid, change->joined[i].reason);
	}
	for (size_t i = 0; i < change->left_count; i++) {
		fprintf(stderr, " left=%u:%u(reason %u)", change->left[i].nodeid, change->left[i].pid, change->left[i].reason);
	}
	fprintf(stderr, "\n");
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: ftecho CONFIG GROUP [SECONDS]\n");
		return 2;
	}
	int seconds = argc > 3 ? atoi(argv[3]) : 60;
	char detail[512];
	ft_node node;
	int rc = ft_node_create(argv[1], 0, &node);
	if (rc != FT_OK) {
		ft_last_error(detail, sizeof detail);
		fprintf(stderr, "ftecho: %s: %s\n", ft_strerror(rc), detail);
		return 2;
	}
	ft_node_start(node);
	ft_node_id(node, &self);
	rc = ft_group_join(node, argv[2], 0, &group);
	if (rc != FT_OK) {
		ft_last_error(detail, sizeof detail);
		fprintf(stderr, "ftecho: join: %s: %s\n", ft_strerror(rc), detail);
		ft_node_destroy(node);
		return 1;
	}
	printf("ready nodeid=%u group=%s\n", self, argv[2]);
	fflush(stdout);
	for (int i = 0; i < seconds * 1000; i++) {
		int confchgs = ft_group_dispatch_confchg(group, on_confchg, NULL, 16);
		if (ft_group_dispatch(group, on_deliver, NULL, 64) == 0 && confchgs == 0) {
			usleep(1000);
		}
	}
	ft_group_leave(group);
	usleep(200000);
	ft_node_destroy(node);
	return 0;
}
