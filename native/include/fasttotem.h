/*
 * fasttotem.h: the C API of libfasttotem.so, a corosync 3.1 compatible Totem ring member (SRP, totempg, sync,
 * CPG) in-process: no daemon, no IPC. API version 1.
 *
 * Every function returns FT_OK (0) or a negative FT_ERR_* code (ft_group_dispatch and ft_group_members return
 * a count on success). No call ever aborts the host: NULL pointers, unknown or destroyed handles, oversize
 * messages and calls after stop are error codes. ft_last_error() gives the detail of the last error on the
 * calling thread.
 *
 * Threads: the ring runs on its own protocol thread. Any thread may call ft_group_try_mcast (lock-free);
 * deliveries wait in a per-group lock-free queue that one thread drains with ft_group_dispatch.
 */
#ifndef FASTTOTEM_H
#define FASTTOTEM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FT_API_VERSION 1

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

typedef intptr_t ft_node;   /* opaque handles; 0 is never a valid handle */
typedef intptr_t ft_group;

/* Called by ft_group_dispatch on the calling thread; data is valid only during the call. */
typedef void (*ft_deliver_fn)(void *user, uint32_t nodeid, uint32_t pid, const uint8_t *data, size_t length);

int ft_api_version(void);

/* A node configured by the corosync.conf at config_path; nodeid 0 = the nodelist entry with a local address. */
int ft_node_create(const char *config_path, uint32_t nodeid, ft_node *node);
int ft_node_start(ft_node node);
int ft_node_id(ft_node node, uint32_t *nodeid);
/* Leaves the ring (corosync's LEAVE) and frees the node and its groups. */
int ft_node_destroy(ft_node node);

/* cpg_join: blocks until the cluster confirmed the join (timeout_ms 0 = 30 s). */
int ft_group_join(ft_node node, const char *name, uint32_t timeout_ms, ft_group *group);
int ft_group_leave(ft_group group);
/* Never blocks: FT_OK, FT_ERR_TRY_AGAIN (back-pressure), FT_ERR_TOO_LARGE or FT_ERR_CLOSED. */
int ft_group_try_mcast(ft_group group, const void *data, size_t length);
/* Hands up to max waiting deliveries to deliver; returns how many (0 when none), or an error. */
int ft_group_dispatch(ft_group group, ft_deliver_fn deliver, void *user, int max);
/* Writes up to capacity members (nodeid, pid) of the group's latest membership; returns the member count. */
int ft_group_members(ft_group group, uint32_t *nodeids, uint32_t *pids, int capacity);

const char *ft_strerror(int code);
/* Copies the last error's detail for this thread into buffer (NUL-terminated); returns its length. */
int ft_last_error(char *buffer, size_t size);

#ifdef __cplusplus
}
#endif

#endif
