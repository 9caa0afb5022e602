/*
 * fasttotem.h: the C API of libfasttotem.so, a corosync 3.1 compatible Totem ring member (SRP, totempg, sync,
 * CPG) in-process: no daemon, no IPC. API version 3: node and group handles are distinct types (a group passed
 * where a node is expected does not compile), ft_loop_info reports SCHED_RR, ft_group_stats grew, membership
 * changes are dispatched (ft_group_dispatch_confchg), a timed-out join is withdrawn, and ft_last_error returns
 * the size needed. Version 2 programs need recompiling (and their handle variables retyping). Minor version 1
 * adds the quorum (ft_node_quorum, ft_node_quorum_members).
 *
 * Every function returns FT_OK (0) or a negative FT_ERR_* code (ft_group_dispatch, ft_group_dispatch_confchg and
 * ft_group_members return a count on success). The codes are generated from one list (FtError in the library; a
 * test compares it with this header). No call ever aborts the host: NULL pointers, unknown or destroyed handles, oversize
 * messages and calls after stop are error codes. ft_last_error() gives the detail of the last error on the
 * calling thread.
 *
 * Threads: the ring runs on its own protocol thread. Any thread may call ft_group_try_mcast (lock-free);
 * deliveries wait in a per-group pinned slab that one thread drains, either with ft_group_dispatch (a callback
 * per delivery) or, without any copy, with ft_group_take / ft_group_release (a lease on the slab memory).
 * A second thread calling ft_group_dispatch or ft_group_take on a group while another drains it gets
 * FT_ERR_STATE (a callback may take or dispatch on its own thread). These host paths take no lock and
 * allocate nothing.
 *
 * Back-pressure, not loss: when a group's slab is full the protocol thread keeps the delivery (and every later
 * event of the node, any group's, behind it, so order holds) until the host releases something;
 * ft_group_counters counts these stalls. The ring does not wait meanwhile: its deliveries pile up in the node's
 * CPG event queue (8,192 events, 8.25 MiB), and only a stall longer than that queue holds loses events.
 */
#ifndef FASTTOTEM_H
#define FASTTOTEM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FT_API_VERSION 3
/* Additions within version 3 (programs built against an older minor still work): 1 = ft_node_quorum,
 * 2 = ft_node_host_drops, 3 = ft_group_close. */
#define FT_API_VERSION_MINOR 3

#define FT_OK 0
#define FT_ERR_INVALID_ARGUMENT -1
#define FT_ERR_INVALID_HANDLE -2
#define FT_ERR_CONFIG -3      /* corosync.conf broken or asks for something FastTotem does not speak */
#define FT_ERR_TRANSPORT -4   /* sockets could not be bound */
#define FT_ERR_TRY_AGAIN -5   /* back-pressure: the send queue is full; nothing was queued */
#define FT_ERR_TOO_LARGE -6
#define FT_ERR_CLOSED -7      /* the group was left or the node stopped */
#define FT_ERR_TIMEOUT -8
#define FT_ERR_INTERNAL -9
#define FT_ERR_STATE -10      /* not allowed now (e.g. start twice, join before start) */
#define FT_ERR_RELEASED -11   /* v2: the delivery was already released */
#define FT_ERR_FAULTED -12    /* the node hit a bug on its protocol thread, left the ring and stopped: destroy it and
                               * create a new one (same config, same state_dir) to rejoin; see docs/fault-policy.md */

/* Opaque handles: ids in the library's table (a stale or forged one is FT_ERR_INVALID_HANDLE, never a crash).
 * Distinct struct types, so the compiler refuses a group where a node is expected and the reverse. An id of 0 is
 * never a valid handle; FT_NODE_NONE / FT_GROUP_NONE are that value. */
typedef struct ft_node { uint64_t id; } ft_node;
typedef struct ft_group { uint64_t id; } ft_group;
#define FT_NODE_NONE ((ft_node){ 0 })
#define FT_GROUP_NONE ((ft_group){ 0 })

/* Called by ft_group_dispatch on the calling thread; data is valid only during the call. */
typedef void (*ft_deliver_fn)(void *user, uint32_t nodeid, uint32_t pid, const uint8_t *data, size_t length);

/* v2: a delivery leased in place by ft_group_take. */
typedef struct ft_delivery {
	const uint8_t *data;  /* in the group's pinned slab; valid until ft_group_release (NULL when length is 0), even
	                       * after ft_node_destroy: see there */
	size_t length;
	uint32_t nodeid;      /* the sender */
	uint32_t pid;
	uint64_t token;       /* identifies the lease */
} ft_delivery;

/* v2: loop settings that are not corosync.conf's business. Start from FT_NODE_CONFIG_INIT. */
#define FT_NODE_BUSY_POLL 1u  /* spin instead of sleeping in epoll: lowest latency, one core fully used */
typedef struct ft_node_config {
	uint32_t size;            /* sizeof(ft_node_config) */
	uint32_t nodeid;          /* 0 = the nodelist entry with a local address */
	int32_t pin_cpu;          /* pin the protocol loop thread to this CPU; -1 = not pinned */
	uint32_t flags;           /* FT_NODE_BUSY_POLL */
	uint32_t delivery_bytes;  /* each group's delivery slab; 0 = 16 MiB (a delivery larger than it is dropped) */
	uint32_t reserved;
} ft_node_config;
#define FT_NODE_CONFIG_INIT { sizeof(ft_node_config), 0, -1, 0, 0, 0 }

/* v2: where the protocol loop thread runs. */
typedef struct ft_loop_info {
	int32_t tid;              /* kernel thread id (0 before start) */
	int32_t cpu;              /* CPU it was last seen on (sampled by the loop with sched_getcpu), -1 before start */
	int32_t pin_cpu;          /* CPU asked for, -1 none */
	int32_t pinned;           /* 1 when sched_setaffinity succeeded */
	int32_t pin_errno;        /* errno of a failed pin */
	int32_t busy_poll;
	uint64_t iterations;      /* loop turns */
	uint64_t cpu_migrations;  /* samples that found it on another CPU than the previous sample */
	int32_t sched_rr;         /* v3: 1 when it runs under SCHED_RR (system.sched_rr: yes, and the privilege to) */
	int32_t reserved;
} ft_loop_info;

/* v2: delivery counters of a group. */
typedef struct ft_group_stats {
	uint64_t delivery_stalls;   /* times the slab was full and the protocol thread held a delivery back (see above) */
	uint64_t delivery_overruns; /* deliveries dropped: larger than the slab, or arrived after leave with a full slab */
	uint64_t slab_bytes_in_use; /* held by deliveries not yet released */
	uint64_t slab_bytes;        /* the slab's size */
	uint64_t confchg_overruns;  /* v3: membership changes dropped because 1,024 waited undispatched */
	uint64_t unconsumed;        /* v3: deliveries that found no consumer (0 for groups joined through this API) */
} ft_group_stats;

/* v3: one member in a membership change, as libcpg's struct cpg_address. */
#define FT_REASON_JOIN 1
#define FT_REASON_LEAVE 2
#define FT_REASON_NODEDOWN 3
#define FT_REASON_NODEUP 4
#define FT_REASON_PROCDOWN 5
typedef struct ft_member {
	uint32_t nodeid;
	uint32_t pid;
	uint32_t reason;            /* FT_REASON_* in left and joined; 0 in members */
} ft_member;

/* v3: a group membership change (libcpg's cpg_confchg_fn arguments). The arrays are valid during the call. */
typedef struct ft_confchg {
	uint64_t deliveries_before; /* deliveries of the group that precede this change in agreed order: a host that
	                             * has taken that many has reached the point of the change */
	const ft_member *members;   /* every member after the change */
	size_t member_count;
	const ft_member *left;
	size_t left_count;
	const ft_member *joined;
	size_t joined_count;
} ft_confchg;
typedef void (*ft_confchg_fn)(void *user, const ft_confchg *change);

/* Every drop of a node, by layer (docs/robustness.md in the repository). */
typedef struct ft_node_drops {
	uint64_t transport;         /* truncated, or from an address outside the nodelist (block_unlisted_ips) */
	uint64_t srp_malformed;     /* SRP datagrams that do not parse */
	uint64_t srp_misattributed; /* in another node's name than their source address's, or mcasts from outside their ring */
	uint64_t srp_unlisted;      /* naming nodeids outside the nodelist, or from an unlisted address */
	uint64_t srp_impossible;    /* tokens and commit tokens this ring cannot have produced, ring-seq poisonings */
	uint64_t totempg;           /* payloads: malformed, oversize, no slot, from a non-member */
	uint64_t cpg;               /* CPG messages dropped and CPG events lost to a full event queue */
	uint64_t votequorum;        /* nodeinfo dropped */
	uint64_t sync;              /* membership and synchronisation events the node's event queue could not keep */
} ft_node_drops;

/* v3.2: what the node dropped of its host's own messages and deliveries (docs/robustness.md, "How the host learns
 * of a drop"). Every field only grows. */
typedef struct ft_host_drops {
	uint64_t unconsumed_deliveries;        /* deliveries to a group with nothing to take them */
	uint64_t delivery_overruns;            /* deliveries that could never fit a group's slab, or came after it left with the slab full */
	uint64_t sends_refused_after_queueing; /* messages queued with FT_OK that CPG then refused (the group closed under them) */
	uint64_t held_traffic_overflows;       /* ring changes at which held traffic did not fit its queue: one sender's order not kept (nothing lost) */
} ft_host_drops;

/* v3.1: the cluster's quorum as this node's votequorum computes it, the figures corosync-quorumtool -s prints. */
typedef struct ft_quorum {
	uint32_t quorate;          /* 1 while the votes present reach the quorum */
	uint32_t expected_votes;
	uint32_t highest_expected;
	uint32_t total_votes;      /* votes of the members present */
	uint32_t quorum;           /* votes needed: more than half of expected_votes */
	uint32_t node_votes;       /* this node's own votes */
	uint32_t member_count;     /* members of the quorum ring (ft_node_quorum_members lists them) */
	uint32_t ring_rep;         /* the ring the figures belong to */
	uint64_t ring_seq;
	uint64_t changes;          /* grows by one each time any figure changes: poll it and compare */
} ft_quorum;

int ft_api_version(void);
/* v3.1: the library's FT_API_VERSION_MINOR. */
int ft_api_version_minor(void);

/* A node configured by the corosync.conf at config_path; nodeid 0 = the nodelist entry with a local address. */
int ft_node_create(const char *config_path, uint32_t nodeid, ft_node *node);
/* v2: ft_node_create with loop settings (pinning, busy-poll, slab size). */
int ft_node_create_ex(const char *config_path, const ft_node_config *config, ft_node *node);
int ft_node_start(ft_node node);
/* v2: the protocol loop thread's tid, CPU and settings. */
int ft_node_loop_info(ft_node node, ft_loop_info *info);
int ft_node_id(ft_node node, uint32_t *nodeid);
/* Leaves the ring (corosync's LEAVE) and frees the node and its groups. A lease still held keeps its data valid:
 * the group's slab lives on until its last lease is released with ft_group_release (which still answers for that
 * group handle, and nothing else does); a lease never released keeps its slab for the life of the process. */
int ft_node_destroy(ft_node node);

/* cpg_join: blocks until the cluster confirmed the join (timeout_ms 0 = 30 s). Membership changes are kept from
 * the first one (this member's own join) for ft_group_dispatch_confchg. On FT_ERR_TIMEOUT the join is withdrawn
 * (not sent, or followed by a leave): no member stays in the cluster without a handle. */
int ft_group_join(ft_node node, const char *name, uint32_t timeout_ms, ft_group *group);
int ft_group_leave(ft_group group);
/* v3.3, cpg_finalize for one group: leaves it (if it has not left) and frees the handle; without it a left group's
 * handle, and its slabs, live until ft_node_destroy. Deliveries and membership changes not yet dispatched are
 * discarded; afterwards every call with the handle returns FT_ERR_INVALID_HANDLE, except ft_group_release of a
 * lease still held (the slab lives until the last one is released). FT_ERR_STATE while another thread drains it. */
int ft_group_close(ft_group group);
/* Never blocks: FT_OK, FT_ERR_TRY_AGAIN (back-pressure), FT_ERR_TOO_LARGE or FT_ERR_CLOSED. */
int ft_group_try_mcast(ft_group group, const void *data, size_t length);
/* Hands up to max waiting deliveries to deliver; returns how many (0 when none), or an error. */
int ft_group_dispatch(ft_group group, ft_deliver_fn deliver, void *user, int max);
/* v3: hands up to max waiting membership changes, oldest first, to confchg on the calling thread (as cpg_dispatch
 * calls cpg_confchg_fn); returns how many (0 when none), or an error. Poll it beside ft_group_wait/take: a change
 * does not wake ft_group_wait. */
int ft_group_dispatch_confchg(ft_group group, ft_confchg_fn confchg, void *user, int max);
/* v2: leases the oldest waiting delivery without copying it: returns 1 (taken, *delivery filled), 0 (none
 * waiting) or an error. One thread takes; leases may be held several at a time and released in any order. */
int ft_group_take(ft_group group, ft_delivery *delivery);
/* v2: sleeps until a delivery waits (returns 1) or timeout_us passed (0), instead of spinning on ft_group_take;
 * the taking thread only. */
int ft_group_wait(ft_group group, uint32_t timeout_us);
/* v2: ends a lease: FT_OK, FT_ERR_RELEASED (second release), FT_ERR_INVALID_ARGUMENT (not a lease of this
 * group), FT_ERR_INVALID_HANDLE (the group or its node is gone). Any thread. */
int ft_group_release(ft_group group, const ft_delivery *delivery);
/* The node's drop counters. */
int ft_node_drop_counters(ft_node node, ft_node_drops *stats);
/* v3.2: the drops of the host's own messages and deliveries. */
int ft_node_host_drops(ft_node node, ft_host_drops *drops);
/* v3.1: the quorum (any thread; a snapshot the protocol thread replaces when a figure changes). */
int ft_node_quorum(ft_node node, ft_quorum *quorum);
/* v3.1: writes up to capacity (nodeid, votes) pairs of the quorum ring, in nodeid order; returns the member count. */
int ft_node_quorum_members(ft_node node, uint32_t *nodeids, uint32_t *votes, int capacity);
/* v2: the group's delivery counters. */
int ft_group_counters(ft_group group, ft_group_stats *stats);
/* Writes up to capacity members (nodeid, pid) of the group's latest membership; returns the member count. */
int ft_group_members(ft_group group, uint32_t *nodeids, uint32_t *pids, int capacity);

/* A static text for code (also for codes this library does not know): NUL-terminated, at most
 * FT_STRERROR_MAX bytes with its NUL, never to be freed. */
#define FT_STRERROR_MAX 128
const char *ft_strerror(int code);
/* Copies the last error's detail for this thread into buffer (NUL-terminated, truncated to fit) and returns the
 * size the whole detail needs, NUL included (buffer may be NULL to ask): the copy is complete when the result is
 * at most size. */
int ft_last_error(char *buffer, size_t size);

#ifdef __cplusplus
}
#endif

#endif
