/*
 * The capability names of the policy. Namespaces run as root under
 * `l3nft exec`; a capability is refused here when holding it lets a
 * process leave its namespace or reach another one (reconfigure the
 * table, remount, load kernel code, open files by handle past the mount
 * namespace, make device nodes of disks), so no policy can ask for it.
 */
#include "config.h"

#include <stddef.h>
#include <strings.h>
#include <linux/capability.h>
#include "l3nft/compiler/caps.h"
#include "l3nft/compiler/util.h"

#define L3_CAP_OK(n, c) { n, c, NULL }
#define L3_CAP_NO(n, c, why) { n, c, why }

static const struct l3_cap l3_caps[] = {
	L3_CAP_OK("chown", CAP_CHOWN),
	L3_CAP_OK("dac_override", CAP_DAC_OVERRIDE),
	L3_CAP_NO("dac_read_search", CAP_DAC_READ_SEARCH,
		  "open_by_handle_at() opens any file past the mount namespace"),
	L3_CAP_OK("fowner", CAP_FOWNER),
	L3_CAP_OK("fsetid", CAP_FSETID),
	L3_CAP_OK("kill", CAP_KILL),
	L3_CAP_OK("setgid", CAP_SETGID),
	L3_CAP_OK("setuid", CAP_SETUID),
	L3_CAP_NO("setpcap", CAP_SETPCAP, "it changes capability sets and securebits"),
	L3_CAP_NO("linux_immutable", CAP_LINUX_IMMUTABLE, "it changes the host's immutable files"),
	L3_CAP_OK("net_bind_service", CAP_NET_BIND_SERVICE),
	L3_CAP_OK("net_broadcast", CAP_NET_BROADCAST),
	L3_CAP_NO("net_admin", CAP_NET_ADMIN,
		  "it rewrites the table, addresses and routes that make the isolation"),
	L3_CAP_OK("net_raw", CAP_NET_RAW),
	L3_CAP_OK("ipc_lock", CAP_IPC_LOCK),
	L3_CAP_OK("ipc_owner", CAP_IPC_OWNER),
	L3_CAP_NO("sys_module", CAP_SYS_MODULE, "it loads kernel code"),
	L3_CAP_NO("sys_rawio", CAP_SYS_RAWIO, "it reads and writes devices and I/O ports"),
	L3_CAP_OK("sys_chroot", CAP_SYS_CHROOT),
	L3_CAP_NO("sys_ptrace", CAP_SYS_PTRACE,
		  "it takes over the namespace's reaper and any file descriptor it can name"),
	L3_CAP_NO("sys_pacct", CAP_SYS_PACCT, "it writes accounting records to any file"),
	L3_CAP_NO("sys_admin", CAP_SYS_ADMIN,
		  "it remounts the cgroup2 file system writable and enters other namespaces"),
	L3_CAP_NO("sys_boot", CAP_SYS_BOOT, "it reboots the machine"),
	L3_CAP_OK("sys_nice", CAP_SYS_NICE),
	L3_CAP_OK("sys_resource", CAP_SYS_RESOURCE),
	L3_CAP_NO("sys_time", CAP_SYS_TIME, "it sets the host's clock"),
	L3_CAP_OK("sys_tty_config", CAP_SYS_TTY_CONFIG),
	L3_CAP_NO("mknod", CAP_MKNOD, "device nodes of the host's disks bypass every mount"),
	L3_CAP_OK("lease", CAP_LEASE),
	L3_CAP_OK("audit_write", CAP_AUDIT_WRITE),
	L3_CAP_NO("audit_control", CAP_AUDIT_CONTROL, "it changes the host's audit rules"),
	L3_CAP_NO("setfcap", CAP_SETFCAP, "it gives files capabilities beyond the namespace's"),
	L3_CAP_NO("mac_override", CAP_MAC_OVERRIDE, "it overrides the host's MAC policy"),
	L3_CAP_NO("mac_admin", CAP_MAC_ADMIN, "it changes the host's MAC policy"),
	L3_CAP_NO("syslog", CAP_SYSLOG, "it reads kernel addresses and clears the kernel log"),
	L3_CAP_OK("wake_alarm", CAP_WAKE_ALARM),
	L3_CAP_OK("block_suspend", CAP_BLOCK_SUSPEND),
	L3_CAP_OK("audit_read", CAP_AUDIT_READ),
	L3_CAP_NO("perfmon", CAP_PERFMON, "it reads other processes' and the kernel's memory"),
	L3_CAP_NO("bpf", CAP_BPF, "it loads BPF programs that see every namespace's traffic"),
	L3_CAP_NO("checkpoint_restore", CAP_CHECKPOINT_RESTORE,
		  "it picks process ids and reads other processes' state"),
};

uint64_t l3_caps_default(void)
{
	return 1ull << CAP_NET_BIND_SERVICE | 1ull << CAP_SETUID | 1ull << CAP_SETGID |
	       1ull << CAP_CHOWN | 1ull << CAP_FOWNER | 1ull << CAP_KILL;
}

const struct l3_cap *l3_cap_find(const char *name)
{
	size_t i;

	if (!strncasecmp(name, "cap_", 4))
		name += 4;
	for (i = 0; i < L3_ARRAY_SIZE(l3_caps); i++)
		if (!strcasecmp(name, l3_caps[i].name))
			return &l3_caps[i];
	return NULL;
}

const struct l3_cap *l3_cap_by_num(int num)
{
	size_t i;

	for (i = 0; i < L3_ARRAY_SIZE(l3_caps); i++)
		if (l3_caps[i].num == num)
			return &l3_caps[i];
	return NULL;
}
