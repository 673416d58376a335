/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/cfg_opts.h - the one table of every configuration option.
 *
 * X(name, type, default, min, max, daemons, flags, help)
 *   type     CFG_BOOL, CFG_INT (int64), CFG_SIZE (uint64, accepts K/M/G/T
 *            binary suffixes), CFG_DOUBLE (also seconds), CFG_STR
 *   default  text, parsed like a value from a file; strings may use
 *            $cluster $type $id $name $host and $<option> expansions
 *   min/max  text bounds for numbers, "" for none
 *   daemons  mask of CFG_D_* that read the option
 *   flags    CFG_F_STARTUP: changes take effect only at the next start
 * Keep groups together, one group per module, in layering order. */

/* clang-format off */
/* common */
#define CFG_OPTS_COMMON(X)                                                     \
	X(cluster, CFG_STR, "sepia", "", "", CFG_D_ALL, CFG_F_STARTUP,          \
	  "cluster name; selects $cluster.conf and names sockets and logs")     \
	X(fsid, CFG_STR, "", "", "", CFG_D_ALL, CFG_F_STARTUP,                   \
	  "cluster uuid; daemons refuse peers of another cluster")              \
	X(host, CFG_STR, "", "", "", CFG_D_ALL, CFG_F_STARTUP,                   \
	  "host name used for placement; empty means the system host name")    \
	X(run_dir, CFG_STR, "/run/sepia", "", "", CFG_D_ALL, CFG_F_STARTUP,      \
	  "directory for admin sockets and pid files")                          \
	X(data_dir, CFG_STR, "/var/lib/sepia", "", "", CFG_D_ALL, CFG_F_STARTUP, \
	  "root under which daemons keep their data by default")                \
	X(admin_socket, CFG_STR, "$run_dir/$cluster-$name.asok", "", "",         \
	  CFG_D_ALL, CFG_F_STARTUP,                                              \
	  "admin socket path; empty disables the admin socket")                 \
	X(pid_file, CFG_STR, "", "", "", CFG_D_ALL, CFG_F_STARTUP,               \
	  "write the daemon's pid here; empty for none")                        \
	X(log_file, CFG_STR, "", "", "", CFG_D_ALL, 0,                           \
	  "log file; empty or - logs to stderr")                                \
	X(log_level, CFG_STR, "info", "", "", CFG_D_ALL, 0,                      \
	  "default level for every subsystem: none err warn info debug trace")  \
	X(log_levels, CFG_STR, "", "", "", CFG_D_ALL, 0,                         \
	  "per-subsystem levels, e.g. msg=debug,osd=trace (after log_level)")   \
	X(mon_host, CFG_STR, "", "", "", CFG_D_ALL, 0,                           \
	  "comma-separated monitor addresses host:port")                        \
	X(wq_default_threads, CFG_INT, "2", "1", "256", CFG_D_ALL,              \
	  CFG_F_STARTUP, "worker threads of a work queue that names no count")  \
	X(wq_default_queue_max, CFG_INT, "1024", "1", "1048576", CFG_D_ALL,     \
	  CFG_F_STARTUP, "queued items before a work queue pushes back")        \
	X(perf, CFG_BOOL, "true", "", "", CFG_D_ALL, 0,                          \
	  "collect performance counters")

/* msg: the messenger */
#define CFG_OPTS_MSG(X)                                                        \
	X(ms_bind_addr, CFG_STR, "127.0.0.1", "", "", CFG_D_ALL, CFG_F_STARTUP, \
	  "address daemons listen on")                                          \
	X(ms_bind_port_min, CFG_INT, "6800", "1", "65535", CFG_D_ALL,          \
	  CFG_F_STARTUP, "lowest port a daemon tries to bind")                  \
	X(ms_bind_port_max, CFG_INT, "7568", "1", "65535", CFG_D_ALL,          \
	  CFG_F_STARTUP, "highest port a daemon tries to bind")                 \
	X(ms_workers, CFG_INT, "2", "1", "64", CFG_D_ALL, CFG_F_STARTUP,         \
	  "messenger worker threads, each running one event loop")              \
	X(ms_max_message_size, CFG_SIZE, "256M", "4K", "4G", CFG_D_ALL, 0,      \
	  "largest message accepted; a bigger frame drops the connection")     \
	X(ms_crc_header, CFG_BOOL, "true", "", "", CFG_D_ALL, 0,                 \
	  "checksum frame headers and front/middle segments with crc32c")       \
	X(ms_crc_data, CFG_BOOL, "true", "", "", CFG_D_ALL, 0,                   \
	  "checksum bulk data segments with crc32c")                            \
	X(ms_tcp_nodelay, CFG_BOOL, "true", "", "", CFG_D_ALL, 0,                \
	  "disable Nagle's algorithm on messenger sockets")                     \
	X(ms_keepalive_interval, CFG_DOUBLE, "5", "0", "3600", CFG_D_ALL, 0,    \
	  "seconds between keepalives on an idle connection (0: never)")       \
	X(ms_connection_idle_timeout, CFG_DOUBLE, "900", "0", "86400",          \
	  CFG_D_ALL, 0, "close a connection silent for this many seconds")      \
	X(ms_initial_backoff, CFG_DOUBLE, "0.2", "0.001", "60", CFG_D_ALL, 0,   \
	  "first reconnect delay in seconds for lossless peers")                \
	X(ms_max_backoff, CFG_DOUBLE, "15", "0.001", "600", CFG_D_ALL, 0,       \
	  "largest reconnect delay in seconds")                                 \
	X(ms_dispatch_throttle_bytes, CFG_SIZE, "100M", "0", "", CFG_D_ALL, 0,  \
	  "bytes of received messages waiting for dispatch (0: unlimited)")     \
	X(ms_conn_throttle_bytes, CFG_SIZE, "0", "0", "", CFG_D_ALL, 0,         \
	  "bytes in flight per connection before reads pause (0: unlimited)")   \
	X(ms_conn_throttle_msgs, CFG_INT, "0", "0", "", CFG_D_ALL, 0,           \
	  "messages in flight per connection before reads pause (0: none)")     \
	X(ms_inject_socket_failures, CFG_INT, "0", "0", "", CFG_D_ALL, 0,       \
	  "testing: kill a socket about once every N socket operations")        \
	X(ms_inject_delay_probability, CFG_DOUBLE, "0", "0", "1", CFG_D_ALL, 0, \
	  "testing: probability that a received message is delayed")           \
	X(ms_inject_delay_max, CFG_DOUBLE, "0", "0", "60", CFG_D_ALL, 0,        \
	  "testing: longest injected delay in seconds")                         \
	X(ms_inject_drop_probability, CFG_DOUBLE, "0", "0", "1", CFG_D_ALL, 0,  \
	  "testing: probability that a lossy connection drops a message")       \
	X(ms_auth, CFG_STR, "none", "", "", CFG_D_ALL, CFG_F_STARTUP,           \
	  "authentication method on connections: none")

/* daemon data locations (used by the daemons' issues) */
#define CFG_OPTS_DAEMONS(X)                                                    \
	X(mon_data, CFG_STR, "$data_dir/mon/$cluster-$id", "", "", CFG_D_MON,    \
	  CFG_F_STARTUP, "monitor data directory")                              \
	X(osd_data, CFG_STR, "$data_dir/osd/$cluster-$id", "", "", CFG_D_OSD,    \
	  CFG_F_STARTUP, "OSD data directory")                                  \
	X(mds_data, CFG_STR, "$data_dir/mds/$cluster-$id", "", "", CFG_D_MDS,    \
	  CFG_F_STARTUP, "MDS data directory")

/* store: the local object store */
#define CFG_OPTS_STORE(X)                                                      \
	X(store_block_size, CFG_SIZE, "4K", "4K", "1M", CFG_D_OSD, CFG_F_STARTUP, \
	  "allocation unit and checksum block of the store's data file")        \
	X(store_data_file_size, CFG_SIZE, "10G", "64M", "", CFG_D_OSD,          \
	  CFG_F_STARTUP, "size of the preallocated data file made by mkfs")    \
	X(store_deferred_max, CFG_SIZE, "64K", "0", "16M", CFG_D_OSD, 0,        \
	  "overwrites up to this size go through the key-value WAL first")     \
	X(store_commit_threads, CFG_INT, "1", "1", "16", CFG_D_OSD,             \
	  CFG_F_STARTUP, "threads that group and sync commits")                 \
	X(store_cache_size, CFG_SIZE, "128M", "0", "", CFG_D_OSD, CFG_F_STARTUP, \
	  "key-value block cache for metadata")                                 \
	X(store_direct_io, CFG_BOOL, "true", "", "", CFG_D_OSD, CFG_F_STARTUP,  \
	  "O_DIRECT data file (buffered where the filesystem refuses it)")

/* mon: monitors and their consensus */
#define CFG_OPTS_MON(X)                                                        \
	X(mon_initial_members, CFG_STR, "", "", "", CFG_D_MON, CFG_F_STARTUP,    \
	  "comma-separated names of the monitors that form the first quorum")  \
	X(mon_election_timeout, CFG_DOUBLE, "1", "0.05", "60", CFG_D_MON, 0,     \
	  "seconds without a leader before a monitor calls an election")       \
	X(mon_lease, CFG_DOUBLE, "5", "0.1", "60", CFG_D_MON, 0,                 \
	  "seconds a read lease granted by the leader stays valid")            \
	X(mon_tick_interval, CFG_DOUBLE, "0.1", "0.01", "5", CFG_D_MON, 0,       \
	  "seconds between consensus ticks")                                    \
	X(mon_min_versions_kept, CFG_INT, "500", "10", "", CFG_D_MON, 0,         \
	  "committed versions kept before older ones are trimmed")              \
	X(mon_osd_down_out_interval, CFG_DOUBLE, "600", "0", "", CFG_D_MON, 0,  \
	  "seconds a down OSD waits before it is marked out (0: never)")        \
	X(mon_osd_min_down_reporters, CFG_INT, "2", "1", "", CFG_D_MON, 0,     \
	  "distinct OSDs that must report a peer before it is marked down")    \
	X(mon_osd_report_timeout, CFG_DOUBLE, "900", "1", "", CFG_D_MON, 0,    \
	  "seconds without an OSD beacon before it is marked down")            \
	X(mon_osd_crush_chooseleaf_type, CFG_INT, "1", "0", "3", CFG_D_MON, 0,  \
	  "CRUSH type the first rule separates replicas across (0 osd, 1 host)") \
	X(mon_osd_pool_default_size, CFG_INT, "3", "1", "10", CFG_D_MON, 0,     \
	  "replicas of a new pool")                                             \
	X(mon_osd_pool_default_min_size, CFG_INT, "0", "0", "10", CFG_D_MON, 0, \
	  "min_size of a new pool (0: size - size / 2)")                        \
	X(mon_osd_pool_default_pg_num, CFG_INT, "32", "1", "65536", CFG_D_MON, 0, \
	  "placement groups of a new pool when the command names none")         \
	X(mon_command_timeout, CFG_DOUBLE, "10", "0.1", "600", CFG_D_MON, 0,    \
	  "seconds a command waits for a leader or a quorum before -ETIMEDOUT")

/* osd: the object storage daemon */
#define CFG_OPTS_OSD(X)                                                        \
	X(osd_op_num_shards, CFG_INT, "0", "0", "64", CFG_D_OSD, CFG_F_STARTUP,  \
	  "op queue shards: ops of one PG stay in one shard, in order; 0: one " \
	  "per two online CPUs, 1 to 8")                                        \
	X(osd_op_num_threads_per_shard, CFG_INT, "1", "1", "16", CFG_D_OSD,     \
	  CFG_F_STARTUP, "worker threads serving each op queue shard")          \
	X(osd_client_message_cap, CFG_INT, "256", "1", "", CFG_D_OSD, 0,         \
	  "client ops queued in the OSD before it stops reading more")          \
	X(osd_client_message_size_cap, CFG_SIZE, "500M", "1M", "", CFG_D_OSD, 0, \
	  "bytes of client ops queued in the OSD before it stops reading more")  \
	X(osd_max_object_size, CFG_SIZE, "128M", "4K", "", CFG_D_OSD, 0,         \
	  "largest object a write may create or extend (-EFBIG beyond)")       \
	X(osd_max_object_name_len, CFG_INT, "2048", "1", "2048", CFG_D_OSD, 0,   \
	  "longest object name accepted (-ENAMETOOLONG beyond)")               \
	X(osd_max_attr_size, CFG_SIZE, "64K", "1", "16M", CFG_D_OSD, 0,          \
	  "largest xattr value accepted (-EFBIG beyond)")                       \
	X(osd_min_pg_log_entries, CFG_INT, "250", "10", "", CFG_D_OSD, 0,        \
	  "PG log entries kept (the window for duplicate detection)")           \
	X(osd_max_pg_log_entries, CFG_INT, "3000", "10", "", CFG_D_OSD, 0,       \
	  "PG log entries at which the log is trimmed back to the minimum")     \
	X(osd_max_backfills, CFG_INT, "1", "1", "1000", CFG_D_OSD, 0,            \
	  "PGs this OSD backfills at once as their primary (others wait)")     \
	X(osd_recovery_max_active, CFG_INT, "3", "1", "1000", CFG_D_OSD, 0,      \
	  "objects of one PG being recovered or backfilled at once")           \
	X(osd_map_cache_size, CFG_INT, "2000", "10", "", CFG_D_OSD, 0,           \
	  "OSD maps kept on disk (replayed by peering after a restart) and "    \
	  "incrementals kept in memory for sharing with peers")                 \
	X(osd_beacon_report_interval, CFG_DOUBLE, "30", "0.1", "3600", CFG_D_OSD, \
	  0, "seconds between beacons to the monitors")                        \
	X(osd_mon_report_interval, CFG_DOUBLE, "5", "0.1", "600", CFG_D_OSD, 0,  \
	  "seconds between PG statistics reports to the monitors")             \
	X(osd_tick_interval, CFG_DOUBLE, "1", "0.01", "60", CFG_D_OSD, 0,        \
	  "seconds between the OSD's housekeeping ticks")                      \
	X(osd_crush_initial_weight, CFG_DOUBLE, "1", "0", "", CFG_D_OSD, 0,      \
	  "CRUSH weight given to a new OSD at its first boot")                  \
	X(osd_uuid, CFG_STR, "", "", "", CFG_D_OSD, CFG_F_STARTUP,               \
	  "this OSD's uuid at --mkfs; empty picks a random one")               \
	X(osd_heartbeat_interval, CFG_DOUBLE, "6", "0.05", "60", CFG_D_OSD, 0,   \
	  "seconds between pings to each heartbeat peer")                       \
	X(osd_heartbeat_grace, CFG_DOUBLE, "20", "0.1", "3600", CFG_D_OSD, 0,    \
	  "seconds without a ping reply before a peer is reported failed")     \
	X(osd_heartbeat_min_peers, CFG_INT, "10", "0", "1000", CFG_D_OSD, 0,     \
	  "heartbeat peers kept beyond PG peers (neighbouring OSD ids)")        \
	X(osd_heartbeat_addr, CFG_STR, "", "", "", CFG_D_OSD, CFG_F_STARTUP,     \
	  "address the heartbeat messenger binds (default: ms_bind_addr)")     \
	X(osd_scrub_min_interval, CFG_DOUBLE, "86400", "0", "", CFG_D_OSD, 0,    \
	  "seconds between scheduled scrubs of a PG (0: none scheduled)")       \
	X(osd_deep_scrub_interval, CFG_DOUBLE, "604800", "0", "", CFG_D_OSD, 0,  \
	  "seconds between scheduled deep scrubs of a PG (0: none scheduled)")  \
	X(osd_max_scrubs, CFG_INT, "1", "1", "64", CFG_D_OSD, 0,                 \
	  "PG scrubs an OSD runs at once (as primary)")                         \
	X(osd_scrub_chunk_max, CFG_INT, "64", "1", "10000", CFG_D_OSD, 0,        \
	  "objects compared per scrub chunk (client I/O runs between chunks)")

/* client: the object client (src/rados) */
#define CFG_OPTS_CLIENT(X)                                                     \
	X(rados_mon_op_timeout, CFG_DOUBLE, "30", "0", "", CFG_D_CLIENT | CFG_D_TOOL, \
	  0, "seconds a monitor request may take (0: wait forever)")           \
	X(rados_osd_op_timeout, CFG_DOUBLE, "0", "0", "", CFG_D_CLIENT | CFG_D_TOOL, \
	  0, "seconds an object op may take before -ETIMEDOUT (0: wait forever)") \
	X(objecter_inflight_ops, CFG_INT, "1024", "1", "", CFG_D_CLIENT | CFG_D_TOOL, \
	  0, "object ops in flight per client before new ones wait")           \
	X(objecter_inflight_op_bytes, CFG_SIZE, "100M", "1", "",                 \
	  CFG_D_CLIENT | CFG_D_TOOL, 0,                                          \
	  "bytes of object op data in flight per client before new ops wait")

#define CFG_OPTS_LIST(X)                                                       \
	CFG_OPTS_COMMON(X) CFG_OPTS_MSG(X) CFG_OPTS_DAEMONS(X) CFG_OPTS_STORE(X) \
	CFG_OPTS_MON(X) CFG_OPTS_OSD(X) CFG_OPTS_CLIENT(X)
/* clang-format on */
