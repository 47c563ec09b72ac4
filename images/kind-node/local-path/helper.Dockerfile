# The helper pod of local-path-provisioner (scripts/k8s-build.sh): it runs the `setup` and `teardown` scripts of the
# provisioner's ConfigMap with `sh -c` (mkdir -m 0777 -p, rm -rf) on the node that holds the volume. Debian minbase
# has sh, mkdir and rm: nothing to add but the label.
ARG BASE_IMAGE=coverage-spy/base:trixie
FROM ${BASE_IMAGE}
CMD ["sh"]
