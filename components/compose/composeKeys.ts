/**
 * What happens to each key of a compose service. The line drawn: a key is an error only when leaving it out
 * could change what runs in the process, and so what is measured; otherwise it is left out with a warning.
 */

/** Carried over into Service. */
export const CONVERTED: ReadonlySet<string> = new Set([
    "image",
    "command",
    "entrypoint",
    "environment",
    "env_file",
    "ports",
    "healthcheck",
    "user",
    "volumes",
    "working_dir",
    "stop_signal",
    "stop_grace_period",
]);

/**
 * Left out with a warning: naming, restarts, logs, start order, networks (the service joins coverage-spy's own
 * network), resource limits and replicas (one container is measured), build settings beside an image, dev-loop
 * settings (develop, tty), security hardening (an app that needs a capability fails visibly, it does not run
 * other code quietly), and `init` (coverage-spy always runs one).
 */
export const IGNORED: ReadonlySet<string> = new Set([
    "container_name",
    "restart",
    "labels",
    "label_file",
    "annotations",
    "logging",
    "depends_on",
    "networks",
    "links",
    "external_links",
    "extra_hosts",
    "dns",
    "dns_opt",
    "dns_search",
    "hostname",
    "domainname",
    "mac_address",
    "expose",
    "deploy",
    "scale",
    "build",
    "profiles",
    "platform",
    "pull_policy",
    "pull_refresh_after",
    "init",
    "tty",
    "stdin_open",
    "attach",
    "develop",
    "ulimits",
    "mem_limit",
    "mem_reservation",
    "mem_swappiness",
    "memswap_limit",
    "cpus",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpu_shares",
    "cpuset",
    "blkio_config",
    "pids_limit",
    "oom_kill_disable",
    "oom_score_adj",
    "shm_size",
    "storage_opt",
    "sysctls",
    "security_opt",
    "cap_add",
    "cap_drop",
    "read_only",
    "credential_spec",
]);

/**
 * Errors: shared namespaces, files and devices the app reads (secrets, configs, tmpfs, devices, volumes_from),
 * hooks that run code, a different runtime or user groups, and `extends` (its merge rules are not reproduced).
 */
export const UNSUPPORTED: ReadonlySet<string> = new Set([
    "extends",
    "network_mode",
    "pid",
    "ipc",
    "uts",
    "cgroup",
    "cgroup_parent",
    "userns_mode",
    "volumes_from",
    "secrets",
    "configs",
    "tmpfs",
    "devices",
    "device_cgroup_rules",
    "gpus",
    "privileged",
    "group_add",
    "runtime",
    "isolation",
    "post_start",
    "pre_start",
    "pre_stop",
    "provider",
    "models",
    "use_api_socket",
]);
