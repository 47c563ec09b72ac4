#!/bin/bash
# kindnet-lite: the cluster's pod network, a stand-in for kind's kindnetd (whose image cannot be pulled here).
# Runs on every node (DaemonSet, host network). Every few seconds it reads the nodes from the API server, then
# - writes this node's CNI config: the ptp and host-local plugins (the ones kindnetd uses) for its podCIDR;
# - routes every other node's podCIDR via that node's InternalIP (kind's nodes share one Docker network).
# No NetworkPolicy and no masquerading for traffic leaving the cluster: the tests need neither.
set -u
conf=/etc/cni/net.d/10-kindnet.conflist
nodes_query='{range .items[*]}{.metadata.name}{" "}{.spec.podCIDR}{" "}{.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}'

write_conf() {
  cat >/tmp/conf.new <<JSON
{"cniVersion": "0.4.0", "name": "kindnet", "plugins": [
  {"type": "ptp", "ipMasq": false, "mtu": 1500,
   "ipam": {"type": "host-local", "dataDir": "/run/cni-ipam-state", "routes": [{"dst": "0.0.0.0/0"}],
            "ranges": [[{"subnet": "$1"}]]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
JSON
  cmp -s /tmp/conf.new "$conf" && return 0
  cp /tmp/conf.new "$conf.tmp" && mv "$conf.tmp" "$conf" && echo "wrote $conf for pod CIDR $1"
}

while true; do
  if kubectl get nodes -o jsonpath="$nodes_query" >/tmp/nodes.new; then
    while read -r name cidr address; do
      if [ -z "$cidr" ] || [ -z "$address" ]; then continue; fi
      if [ "$name" = "$NODE_NAME" ]; then
        write_conf "$cidr"
      else
        ip route replace "$cidr" via "$address" || echo "could not route $cidr via $address ($name)"
      fi
    done </tmp/nodes.new
  fi
  sleep 5
done
