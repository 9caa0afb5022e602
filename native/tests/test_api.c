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

/* Handles are structs now: a forged id is spelt out. */
#define FORGED_NODE ((ft_node){ 12345 })
#define FORGED_GROUP ((ft_group){ 777 })

static int passed, failed;

#define CHECK(cond, what) do { if (cond) { passed++; printf("ok   %s\n", what); } else { failed++; printf("FAIL %s\n", what); } } while (0)

static int received;
static int in_order = 1;

static int confchgs, last_member_count = -1, last_joined_reason = -1;
static uint32_t last_joined_nodeid;
static uint64_t last_deliveries_before = UINT64_MAX;

static void on_confchg(void *user, const ft_confchg *change)
{
	(void)user;
	confchgs++;
	last_member_count = (int)change->member_count;
	last_deliveries_before = change->deliveries_before;
	if (change->joined_count > 0) {
		last_joined_reason = (int)change->joined[0].reason;
		last_joined_nodeid = change->joined[0].nodeid;
	}
}

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
	ft_node none = FT_NODE_NONE;
	ft_group group = FT_GROUP_NONE;

	CHECK(ft_api_version() == FT_API_VERSION, "api version");
	CHECK(ft_node_create(NULL, 0, &none) == FT_ERR_INVALID_ARGUMENT, "NULL config path is an error");
	CHECK(ft_node_create("/nonexistent/corosync.conf", 1, &none) == FT_ERR_CONFIG && none.id == 0, "missing config file is FT_ERR_CONFIG");
	CHECK(ft_last_error(detail, sizeof detail) > 0 && strstr(detail, "cannot read") != NULL, "ft_last_error explains it");
	{
		/* v3: the size needed comes back whatever the buffer, so a short buffer says how much to retry with. */
		int needed = ft_last_error(NULL, 0);
		char small[8];
		memset(small, 'x', sizeof small);
		int got = ft_last_error(small, sizeof small);
		CHECK(needed == (int)strlen(detail) + 1 && got == needed && strlen(small) == sizeof small - 1 && memcmp(small, detail, 7) == 0,
			"ft_last_error: a short buffer is filled and terminated, and the size needed is returned");
	}
	CHECK(ft_node_start(FORGED_NODE) == FT_ERR_INVALID_HANDLE, "forged node handle");
	CHECK(ft_group_try_mcast(FORGED_GROUP, "x", 1) == FT_ERR_INVALID_HANDLE, "forged group handle");
	CHECK(ft_group_dispatch(FORGED_GROUP, on_deliver, NULL, 10) == FT_ERR_INVALID_HANDLE, "dispatch on a forged handle");
	CHECK(ft_group_dispatch_confchg(FORGED_GROUP, on_confchg, NULL, 10) == FT_ERR_INVALID_HANDLE, "dispatch_confchg on a forged handle");
	CHECK(strcmp(ft_strerror(FT_ERR_TRY_AGAIN), "try again: the send queue is full") == 0, "ft_strerror");

	/* v2: leases, loop info and the extended create, on bad input. */
	ft_delivery lease;
	ft_loop_info loop;
	ft_group_stats stats;
	ft_node_config cfg = FT_NODE_CONFIG_INIT;
	CHECK(ft_api_version() == 3, "api version 3");
	CHECK(ft_node_create_ex(NULL, &cfg, &none) == FT_ERR_INVALID_ARGUMENT, "create_ex: NULL config path");
	CHECK(ft_node_create_ex("/x", NULL, &none) == FT_ERR_INVALID_ARGUMENT, "create_ex: NULL config");
	cfg.size = 4;
	CHECK(ft_node_create_ex("/x", &cfg, &none) == FT_ERR_INVALID_ARGUMENT, "create_ex: short size");
	cfg.size = sizeof cfg;
	cfg.pin_cpu = 4096;
	CHECK(ft_node_create_ex("/x", &cfg, &none) == FT_ERR_INVALID_ARGUMENT && none.id == 0, "create_ex: CPU out of range");
	cfg.pin_cpu = -1;
	cfg.flags = 0x80;
	CHECK(ft_node_create_ex("/x", &cfg, &none) == FT_ERR_INVALID_ARGUMENT, "create_ex: unknown flag");
	cfg.flags = 0;
	CHECK(ft_node_create_ex("/nonexistent/corosync.conf", &cfg, &none) == FT_ERR_CONFIG, "create_ex: missing file");
	CHECK(ft_node_loop_info(FORGED_NODE, &loop) == FT_ERR_INVALID_HANDLE, "loop info: forged handle");
	CHECK(ft_node_loop_info(FORGED_NODE, NULL) == FT_ERR_INVALID_ARGUMENT, "loop info: NULL");
	ft_node_drops drops;
	CHECK(ft_node_drop_counters(FORGED_NODE, &drops) == FT_ERR_INVALID_HANDLE, "drop counters: forged handle");
	CHECK(ft_node_drop_counters(FORGED_NODE, NULL) == FT_ERR_INVALID_ARGUMENT, "drop counters: NULL");
	ft_host_drops host_drops;
	CHECK(ft_node_host_drops(FORGED_NODE, &host_drops) == FT_ERR_INVALID_HANDLE, "host drops: forged handle");
	CHECK(ft_node_host_drops(FORGED_NODE, NULL) == FT_ERR_INVALID_ARGUMENT, "host drops: NULL");
	CHECK(ft_group_take(FORGED_GROUP, &lease) == FT_ERR_INVALID_HANDLE, "take: forged handle");
	CHECK(ft_group_take(FORGED_GROUP, NULL) == FT_ERR_INVALID_ARGUMENT, "take: NULL delivery");
	CHECK(ft_group_release(FORGED_GROUP, &lease) == FT_ERR_INVALID_HANDLE, "release: forged handle");
	CHECK(ft_group_release(FORGED_GROUP, NULL) == FT_ERR_INVALID_ARGUMENT, "release: NULL delivery");
	CHECK(ft_group_counters(FORGED_GROUP, &stats) == FT_ERR_INVALID_HANDLE, "counters: forged handle");
	/* v3.1: the quorum, on bad input. */
	ft_quorum quorum;
	uint32_t qids[4], qvotes[4];
	CHECK(ft_api_version_minor() == FT_API_VERSION_MINOR && FT_API_VERSION_MINOR >= 3, "api minor version 3");
	CHECK(ft_group_close(FORGED_GROUP) == FT_ERR_INVALID_HANDLE, "close: forged handle");
	CHECK(ft_node_quorum(FORGED_NODE, &quorum) == FT_ERR_INVALID_HANDLE, "quorum: forged handle");
	CHECK(ft_node_quorum(FORGED_NODE, NULL) == FT_ERR_INVALID_ARGUMENT, "quorum: NULL");
	CHECK(ft_node_quorum_members(FORGED_NODE, qids, qvotes, 4) == FT_ERR_INVALID_HANDLE, "quorum members: forged handle");
	CHECK(ft_node_quorum_members(FORGED_NODE, NULL, qvotes, 4) == FT_ERR_INVALID_ARGUMENT, "quorum members: NULL nodeids");
	CHECK(ft_node_quorum_members(FORGED_NODE, qids, qvotes, -1) == FT_ERR_INVALID_ARGUMENT, "quorum members: negative capacity");
	CHECK(strcmp(ft_strerror(FT_ERR_RELEASED), "already released") == 0, "ft_strerror(FT_ERR_RELEASED)");

	char dir[] = "/tmp/fasttotem-capi-XXXXXX";
	if (mkdtemp(dir) == NULL) {
		return 1;
	}
	char conf[512];
	snprintf(conf, sizeof conf, "%s/corosync.conf", dir);
	FILE *f = fopen(conf, "w");
	int port = 20000 + getpid() % 20000;
	/* As root the loop thread may run under SCHED_RR (system.sched_rr), and ft_loop_info must say so. */
	int rr = geteuid() == 0;
	fprintf(f, "totem {\n\tversion: 2\n\tcluster_name: capi\n\ttransport: udpu\n\ttoken: 1000\n\tinterface {\n\t\tlinknumber: 0\n\t\tmcastport: %d\n\t}\n}\n"
		"system {\n\tstate_dir: %s\n\tsched_rr: %s\n}\nnodelist {\n\tnode {\n\t\tnodeid: 1\n\t\tring0_addr: 127.0.0.1\n\t}\n}\n", port, dir, rr ? "yes" : "no");
	fclose(f);

	ft_node node = FT_NODE_NONE;
	/* A 4 KiB slab holds 128 four-byte deliveries (24-byte header each, 8-aligned): 300 must stall, not drop. */
	cfg.nodeid = 1;
	cfg.pin_cpu = 0;
	cfg.delivery_bytes = 4096;
	CHECK(ft_node_create_ex(conf, &cfg, &node) == FT_OK && node.id != 0, "create a pinned node with a 4 KiB slab");
	CHECK(ft_group_join(node, "capi", 1000, &group) == FT_ERR_STATE, "join before start is FT_ERR_STATE");
	CHECK(ft_node_start(node) == FT_OK, "start");
	CHECK(ft_node_start(node) == FT_ERR_STATE, "second start is FT_ERR_STATE");
	uint32_t id = 0;
	CHECK(ft_node_id(node, &id) == FT_OK && id == 1, "node id");
	CHECK(ft_node_drop_counters(node, &drops) == FT_OK && drops.srp_misattributed == 0, "drop counters of a quiet node");
	memset(&host_drops, 0xff, sizeof host_drops);
	CHECK(ft_node_host_drops(node, &host_drops) == FT_OK && host_drops.unconsumed_deliveries == 0 && host_drops.delivery_overruns == 0
	      && host_drops.sends_refused_after_queueing == 0 && host_drops.held_traffic_overflows == 0, "host drops of a quiet node: all written, all 0");
	for (int i = 0; i < 200 && (ft_node_loop_info(node, &loop) != FT_OK || loop.tid == 0); i++) {
		usleep(10000);
	}
	CHECK(ft_node_loop_info(node, &loop) == FT_OK && loop.tid > 0 && loop.tid != getpid(), "loop info: the loop thread's tid");
	for (int i = 0; i < 100 && (ft_node_loop_info(node, &loop) != FT_OK || loop.iterations < 3); i++) {
		usleep(10000);
	}
	CHECK(loop.pin_cpu == 0 && loop.pinned == 1 && loop.cpu == 0 && loop.busy_poll == 0, "loop info: pinned to CPU 0 and runs there");
	/* v3.1: a one-node nodelist expects 1 vote, so the node is quorate once its first synchronisation ran; the change
	 * counter moved from the start-up figures (not quorate, no ring yet) to those. */
	for (int i = 0; i < 500 && (ft_node_quorum(node, &quorum) != FT_OK || !quorum.quorate); i++) {
		usleep(10000);
	}
	CHECK(ft_node_quorum(node, &quorum) == FT_OK && quorum.quorate == 1 && quorum.total_votes == 1 && quorum.expected_votes == 1
		&& quorum.quorum == 1 && quorum.node_votes == 1 && quorum.member_count == 1 && quorum.ring_rep == 1 && quorum.changes >= 1,
		"quorum: quorate alone with expected_votes 1, and the change counted");
	CHECK(ft_node_quorum_members(node, qids, qvotes, 4) == 1 && qids[0] == 1 && qvotes[0] == 1, "quorum members: this node, 1 vote");
	CHECK(ft_node_quorum_members(node, NULL, NULL, 0) == 1, "quorum members: the count alone");
	CHECK(loop.sched_rr == rr, rr ? "loop info: SCHED_RR as system.sched_rr asks (root)" : "loop info: no SCHED_RR without system.sched_rr");
	if (!(loop.pin_cpu == 0 && loop.pinned == 1 && loop.cpu == 0)) {
		printf("     pin_cpu %d pinned %d cpu %d errno %d iterations %llu\n", loop.pin_cpu, loop.pinned, loop.cpu, loop.pin_errno, (unsigned long long)loop.iterations);
	}
	CHECK(ft_group_join(node, "capi", 10000, &group) == FT_OK && group.id != 0, "join a group");
	CHECK(ft_group_dispatch_confchg(group, on_confchg, NULL, 8) == 1 && last_member_count == 1 && last_joined_nodeid == 1
		&& last_joined_reason == FT_REASON_JOIN && last_deliveries_before == 0, "confchg: the member's own join, from the first change");
	CHECK(ft_group_dispatch_confchg(group, on_confchg, NULL, 8) == 0, "confchg: none more waiting");
	CHECK(ft_group_dispatch_confchg(group, NULL, NULL, 8) == FT_ERR_INVALID_ARGUMENT, "confchg: NULL callback");
	CHECK(ft_group_join(node, NULL, 0, &group) == FT_ERR_INVALID_ARGUMENT, "NULL group name");
	uint32_t nodeids[4], pids[4];
	CHECK(ft_group_members(group, nodeids, pids, 4) == 1 && nodeids[0] == 1, "the group lists this member");

	static uint8_t big[128 * 1024];
	CHECK(ft_group_try_mcast(group, big, sizeof big) == FT_ERR_TOO_LARGE, "oversize message is FT_ERR_TOO_LARGE");
	CHECK(ft_group_try_mcast(group, NULL, 4) == FT_ERR_INVALID_ARGUMENT, "NULL data");

	CHECK(ft_group_take(group, &lease) == 0, "take: nothing waiting yet");
	CHECK(ft_group_wait(group, 20000) == 0, "wait: times out when nothing comes");
	CHECK(ft_group_wait(FORGED_GROUP, 10) == FT_ERR_INVALID_HANDLE, "wait: forged handle");
	{
		int probe = -1;
		while (ft_group_try_mcast(group, &probe, sizeof probe) == FT_ERR_TRY_AGAIN) {
			usleep(1000);
		}
		CHECK(ft_group_wait(group, 5000000) == 1, "wait: wakes when a delivery arrives");
		CHECK(ft_group_take(group, &lease) == 1 && lease.length == 4 && ft_group_release(group, &lease) == FT_OK, "take and release it");
	}
	int sent = 0;
	while (sent < 300) {
		int rc = ft_group_try_mcast(group, &sent, sizeof sent);
		if (rc == FT_OK) {
			sent++;
		} else if (rc == FT_ERR_TRY_AGAIN) {
			usleep(1000);
		} else {
			break;
		}
	}
	CHECK(sent == 300, "300 messages queued");
	for (int i = 0; i < 500; i++) {
		if (ft_group_counters(group, &stats) == FT_OK && stats.delivery_stalls > 0) {
			break;
		}
		usleep(10000);
	}
	CHECK(stats.delivery_stalls > 0 && stats.delivery_overruns == 0 && stats.slab_bytes_in_use > 4000, "a full slab stalls the ring's deliveries, drops none");

	/* While the slab is full the node's events wait behind the held delivery, so a join cannot be confirmed: it
	 * times out, and is withdrawn rather than joining later with no handle. */
	ft_group ghost = FT_GROUP_NONE;
	CHECK(ft_group_join(node, "ghost", 300, &ghost) == FT_ERR_TIMEOUT && ghost.id == 0, "a join that times out returns no handle");

	/* Lease three deliveries in place, release them out of order, then the rest by take and by dispatch. */
	ft_delivery held[3];
	int took = 1;
	for (int k = 0; k < 3; k++) {
		took &= ft_group_take(group, &held[k]) == 1 && held[k].length == sizeof(int) && held[k].nodeid == 1 && held[k].data != NULL;
	}
	int v0 = -1, v1 = -1, v2 = -1;
	if (took) {
		memcpy(&v0, held[0].data, 4);
		memcpy(&v1, held[1].data, 4);
		memcpy(&v2, held[2].data, 4);
	}
	CHECK(took && v0 == 0 && v1 == 1 && v2 == 2, "take: three leases in order, read in place");
	CHECK(held[0].data + 32 == held[1].data, "take: consecutive deliveries lie side by side in the slab (no copy)");
	CHECK(ft_group_release(group, &held[1]) == FT_OK, "release the middle lease first");
	CHECK(ft_group_release(group, &held[1]) == FT_ERR_RELEASED, "double release is FT_ERR_RELEASED");
	ft_delivery forged = held[2];
	forged.token += 8;
	CHECK(ft_group_release(group, &forged) == FT_ERR_INVALID_ARGUMENT, "a forged token is FT_ERR_INVALID_ARGUMENT");
	forged.token = UINT64_MAX;
	CHECK(ft_group_release(group, &forged) == FT_ERR_INVALID_ARGUMENT, "a huge token is FT_ERR_INVALID_ARGUMENT");
	CHECK(ft_group_release(group, &held[2]) == FT_OK && ft_group_release(group, &held[0]) == FT_OK, "release the others");
	CHECK(ft_group_release(group, &held[0]) == FT_ERR_RELEASED, "double release after reclaim is FT_ERR_RELEASED");
	received = 3;
	for (int i = 0; i < 5000 && received < 150; i++) {
		int rc = ft_group_take(group, &lease);
		if (rc == 1) {
			int seq = -1;
			memcpy(&seq, lease.data, 4);
			if (seq != received) {
				in_order = 0;
			}
			received++;
			ft_group_release(group, &lease);
		} else {
			usleep(1000);
		}
	}
	CHECK(received == 150 && in_order, "take/release: the next 147 in order");
	for (int i = 0; i < 5000 && received < 300; i++) {
		if (ft_group_dispatch(group, on_deliver, NULL, 64) == 0) {
			usleep(1000);
		}
	}
	CHECK(received == 300 && in_order, "dispatch: the rest, each once, in order, none lost");
	CHECK(ft_group_counters(group, &stats) == FT_OK && stats.delivery_overruns == 0 && stats.slab_bytes == 4096, "no overruns");
	CHECK(ft_group_take(group, &lease) == 0, "take: drained");
	CHECK(ft_group_counters(group, &stats) == FT_OK && stats.confchg_overruns == 0 && stats.unconsumed == 0, "counters: no confchg overruns, nothing unconsumed");

	/* The timed-out join never shows: a member joining "ghost" now is, once things settle, alone there. */
	ft_group observer = FT_GROUP_NONE;
	CHECK(ft_group_join(node, "ghost", 10000, &observer) == FT_OK, "join the group the timed-out join asked for");
	int alone = 0;
	for (int i = 0; i < 300 && !alone; i++) {
		ft_group_dispatch_confchg(observer, on_confchg, NULL, 16);
		alone = i >= 50 && last_member_count == 1 && ft_group_members(observer, nodeids, pids, 4) == 1;
		usleep(10000);
	}
	CHECK(alone, "the withdrawn join is in no view: the observer is alone in the group");

	/* v3.3: ft_group_close frees the handle; a lease held across it stays readable and is released once. */
	int mine = 777;
	while (ft_group_try_mcast(observer, &mine, sizeof mine) == FT_ERR_TRY_AGAIN) {
		usleep(1000);
	}
	ft_delivery held_over_close;
	CHECK(ft_group_wait(observer, 5000000) == 1 && ft_group_take(observer, &held_over_close) == 1, "take a lease on the observer's group");
	CHECK(ft_group_close(observer) == FT_OK, "close the observer's group with the lease held");
	CHECK(ft_group_try_mcast(observer, "x", 1) == FT_ERR_INVALID_HANDLE, "a closed group's handle is invalid for sending");
	CHECK(ft_group_take(observer, &lease) == FT_ERR_INVALID_HANDLE, "take after close is an error");
	CHECK(ft_group_close(observer) == FT_ERR_INVALID_HANDLE, "double close is an error");
	int seen_value = -1;
	memcpy(&seen_value, held_over_close.data, 4);
	CHECK(seen_value == 777, "the lease held across close still reads its data");
	CHECK(ft_group_release(observer, &held_over_close) == FT_OK, "the held lease is released after close");
	CHECK(ft_group_release(observer, &held_over_close) == FT_ERR_INVALID_HANDLE, "then the closed group's handle is gone for good");

	/* A lease held across ft_node_destroy stays readable and can still be released once. */
	int last = 4242;
	while (ft_group_try_mcast(group, &last, sizeof last) == FT_ERR_TRY_AGAIN) {
		usleep(1000);
	}
	ft_delivery kept;
	CHECK(ft_group_wait(group, 5000000) == 1 && ft_group_take(group, &kept) == 1 && kept.length == 4, "take one more lease and keep it");
	CHECK(ft_group_leave(group) == FT_OK, "leave the group");
	CHECK(ft_node_destroy(node) == FT_OK, "destroy the node with the lease held");
	int kept_value = -1;
	memcpy(&kept_value, kept.data, 4);
	CHECK(kept_value == 4242, "the held lease's data is still there after destroy");
	CHECK(ft_group_try_mcast(group, "x", 1) == FT_ERR_INVALID_HANDLE, "a destroyed node's group handle is invalid for sending");
	CHECK(ft_group_take(group, &lease) == FT_ERR_INVALID_HANDLE, "take after the node is gone is an error");
	CHECK(ft_group_release(group, &kept) == FT_OK, "the held lease is released after destroy");
	CHECK(ft_group_release(group, &kept) == FT_ERR_INVALID_HANDLE, "then the group handle is gone for good");
	CHECK(ft_node_destroy(node) == FT_ERR_INVALID_HANDLE, "double destroy is an error, not a crash");
	CHECK(ft_group_release(group, &held[0]) == FT_ERR_INVALID_HANDLE, "release after the node is gone is an error");
	CHECK(ft_node_loop_info(node, &loop) == FT_ERR_INVALID_HANDLE, "loop info after destroy is an error");

	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0) {
		failed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
