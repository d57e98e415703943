#!/bin/sh
# The attack suite once more, with the table loaded by `l3nft apply`
# (the netlink emitter, which also adds the aliases) instead of
# compile + nft -f.
L3_E2E_LOADER=apply
export L3_E2E_LOADER
exec sh "$(dirname "$0")/attack.sh" "$@"
